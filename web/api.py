"""The JSON API under ``/api/v1`` (flask-smorest: marshmallow schemas, generated OpenAPI at
``/api/v1/openapi.json``). Core endpoints live in ``web/apis/``; plugins add theirs through
``mat_blueprints`` with ``api=True``.

Three walls stand in front of every API view, for core and plugin endpoints alike:

- signed out (no session, no valid bearer token): 401, before anything about the URL is said;
- an id in the URL too large for the database: 404, like any id that names nothing;
- a JSON body nested so deep that parsing it would exhaust the stack: 400;
- a change (POST/PUT/PATCH/DELETE) made with a browser session cookie rather than a token must
  carry the session's CSRF token in ``X-CSRF-Token``, so another site cannot post as the user.
"""
from __future__ import annotations

import importlib
import json
import pkgutil
import secrets

from flask import Flask, abort, current_app, g, request, session
from flask_login import current_user
from flask_smorest import Api

API_PREFIX = "/api/"
PUBLIC_ENDPOINTS = {"api-docs.openapi_json"}
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL; SQLite overflows at 2**63
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class MatApi(Api):
    """flask-smorest's ``Api`` without its own HTTP error handler: ``web.errors`` already
    answers JSON on ``/api/`` and readable pages elsewhere, and smorest's handler, registered
    later, would otherwise turn every page's 404 into JSON."""

    def _register_error_handlers(self):
        return None


def init_api(app: Flask) -> None:
    api = MatApi(app, spec_kwargs={
        "components": {"securitySchemes": {"bearer": {
            "type": "http", "scheme": "bearer",
            "description": "A token from `mat token create --user EMAIL`"}}},
        "security": [{"bearer": []}],
        "info": {"description": "Safeguarding records for the schools of a multi-academy "
                                "trust. Answers 404 for anything the caller may not see."},
    })
    app.extensions["mat_api"] = api
    app.before_request(_api_walls)
    import web.apis as apis

    for info in sorted(pkgutil.iter_modules(apis.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"web.apis.{info.name}")
        if hasattr(module, "blp"):
            api.register_blueprint(module.blp)


def _api_walls():
    if not request.path.startswith(API_PREFIX) or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    # a blueprint for machine clients with credentials of its own (Encompass's police
    # intake) checks them itself, answering 401 the same way; the other walls still stand
    contrib = current_app.extensions.get("mat_blueprint_contributions", {}).get(
        request.blueprint or "")
    own_auth = contrib is not None and contrib.authenticates_itself
    if not own_auth and not current_user.is_authenticated:
        abort(401, description="Send a valid API token: Authorization: Bearer <token>")
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and value > MAX_ID:
            abort(404)
    # a blueprint that authenticates itself reads its own body, capped, once the caller's
    # credentials are known: reading it here would take a large body from anyone first
    if request.method not in SAFE_METHODS and request.is_json and not own_auth:
        try:  # the JSON parser recurses: a body nested thousands deep must not be a 500
            json.loads(request.get_data(cache=True) or b"null")
        except RecursionError:
            abort(400, description="The JSON body is nested too deeply.")
        except ValueError:
            pass  # webargs answers malformed JSON with its own 400
    if request.method not in SAFE_METHODS and not own_auth and not g.get("mat_token_auth", False):
        sent = request.headers.get("X-CSRF-Token", "")
        if not sent or not secrets.compare_digest(sent, session.get("csrf_token", "")):
            abort(400, description="Changes through the API need a bearer token, or the "
                                   "session's CSRF token in the X-CSRF-Token header.")
    return None
