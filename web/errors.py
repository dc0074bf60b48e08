"""Errors as people and programs should see them: pages get a readable page, the API a JSON
body naming each bad field. Service errors map to 404 / 422; nothing leaks a stack trace."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from core.errors import AppendOnlyViolation, NotFound, TenantViolation, ValidationError

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(NotFound)
    @app.errorhandler(TenantViolation)
    def _not_found(exc):
        if isinstance(exc, TenantViolation):
            log.warning("tenant violation refused: %s", exc)
        if _wants_json():
            return jsonify(code=404, status="Not Found", message="Not found"), 404
        return render_template("error.html", code=404, message="This page does not exist, "
                               "or you do not have access to it."), 404

    @app.errorhandler(ValidationError)
    def _invalid(exc: ValidationError):
        if _wants_json():
            return jsonify(code=422, status="Unprocessable Entity",
                           errors={"json": exc.errors}), 422
        return render_template("error.html", code=422, message=str(exc)), 422

    @app.errorhandler(AppendOnlyViolation)
    def _append_only(exc):
        if _wants_json():
            return jsonify(code=409, status="Conflict", message=str(exc)), 409
        return render_template("error.html", code=409, message=str(exc)), 409

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        # keep what the status needs (Allow on 405), not the exception's own text/html type
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        if _wants_json():
            # every 404 reads the same, whichever check refused (no hint that a record exists)
            message = "Not found" if exc.code == 404 else exc.description
            body = {"code": exc.code, "status": exc.name, "message": message}
            data = getattr(exc, "data", None)
            if data and "messages" in data:
                body["errors"] = data["messages"]
            if exc.code == 401:  # RFC 6750: say which scheme the API expects
                headers.append(("WWW-Authenticate", 'Bearer realm="mat-api"'))
            return jsonify(body), exc.code, headers
        return render_template("error.html", code=exc.code, message=exc.description), \
            exc.code, headers

    @app.errorhandler(Exception)
    def _unexpected(exc):
        log.exception("unhandled error")
        if _wants_json():
            return jsonify(code=500, status="Internal Server Error",
                           message="Something went wrong; nothing was saved."), 500
        return render_template("error.html", code=500,
                               message="Something went wrong; nothing was saved."), 500
