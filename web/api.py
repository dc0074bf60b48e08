"""The JSON API under ``/api/v1`` (flask-smorest: marshmallow schemas, generated OpenAPI at
``/api/v1/openapi.json``). Core endpoints live in ``web/apis/``; plugins add theirs through
``mat_blueprints`` with ``api=True``."""
from __future__ import annotations

import importlib
import pkgutil

from flask import Flask
from flask_smorest import Api


def init_api(app: Flask) -> None:
    api = Api(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]})
    app.extensions["mat_api"] = api
    import web.apis as apis

    for info in pkgutil.iter_modules(apis.__path__):
        module = importlib.import_module(f"web.apis.{info.name}")
        if hasattr(module, "blp"):
            api.register_blueprint(module.blp)
