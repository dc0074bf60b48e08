"""Errors as people and programs should see them: pages get a readable page, the API a JSON
body naming each bad field. Service errors map to 404 / 422; nothing leaks a stack trace.

When something outside the app fails (the database, Redis) the answer is a 503 that says what
failed and whether anything was saved, never a bare server page."""
from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask_login import AnonymousUserMixin
from markupsafe import escape
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wsgi import LimitedStream

from core.errors import AppendOnlyViolation, NotFound, TenantViolation, ValidationError
from web import context
from web.formlimits import (TextTooLong, init_form_limits, texts_before_the_limit,
                             too_long_message)

log = logging.getLogger(__name__)

MB = 1024 * 1024
RETRY_AFTER = "60"  # seconds; the messages say "a minute"
NOT_SAVED = "Something went wrong; nothing was saved."
SAVED_THEN_FAILED = ("Your change was saved, but something that should have followed it "
                     "failed. Check the record before trying again.")
DATABASE_DOWN = "The database could not be reached; nothing was saved. Try again in a minute."
DATABASE_DOWN_AFTER_SAVE = ("Your change was saved, but the database could not be reached "
                            "afterwards. Check the record before trying again.")
QUEUE_DOWN = "The job queue could not be reached. Check what was saved before trying again."
QUEUE_DOWN_AFTER_SAVE = ("Your change was saved, but the job queue could not be reached, so "
                         "work that follows it (emails, imports, analysis) may not have "
                         "started. Check the record before trying again.")


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

    init_form_limits(app)

    @app.errorhandler(TextTooLong)
    def _text_too_long(exc: TextTooLong):
        # a form page whose view cannot show the text again: name each field and show what
        # was kept of it, so nothing typed is lost (nothing was saved)
        kept = [{"name": name, "text": exc.kept.get(name, ""),
                 "message": too_long_message(name, sent)}
                for name, sent in exc.too_long.items()]
        names = ", ".join(f"“{k['name']}”" for k in kept)
        message = (f"Too long to save: the field {names} is over the "
                   f"{(request.max_form_memory_size or 0) // 1024} KB one field may hold. "
                   "Nothing was saved. Copy the text below, shorten it or attach it as a "
                   "file, and send the form again.")
        return render_template("error.html", code=413, message=message, kept=kept,
                               text_too_long=True, **_way_back()), 413

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge):
        # Werkzeug raises this wherever the body is first read (the CSRF check, the API's
        # JSON wall, webargs, request.files in a view), or while a body without a
        # Content-Length streams past the limit. An endpoint that set its own words (the
        # Encompass intake's 64 KB) keeps them.
        if exc.description != RequestEntityTooLarge.description:
            return _http(exc)
        if _wants_json():
            return jsonify(code=413, status=exc.name, message=_too_large_message("`")), 413
        message = _too_large_message("")
        kept = []
        if request.content_length is not None and request.max_content_length is not None \
                and request.content_length > request.max_content_length:
            # refused before a byte was read: show back the text typed into the form
            kept = [{"name": name, "text": value, "message": "Nothing was saved; this is what "
                     "was typed, for you to copy"} for name, value in texts_before_the_limit()]
        return render_template("error.html", code=413, message=message, kept=kept,
                               **_way_back()), 413

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        original = getattr(exc, "original_exception", None)
        if exc.code == 500 and isinstance(original, Exception):
            # raised outside the view (committing in after_request: the database, or an
            # after-commit hook once the data was saved); Flask already logged it
            return _failure_answer(original, logged=True)
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
        # the database or Redis unreachable lands here too: _failure_answer tells them apart
        return _failure_answer(exc)


def _is_database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeoutError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _failure_answer(exc: BaseException, logged: bool = False):
    """503 when the database or the job queue could not be reached, 500 for anything else;
    the words say whether this request's changes were saved before it failed."""
    saved = context.committed()
    if _is_database_unavailable(exc):
        log.error("database unavailable: %s", exc)
        code, message = 503, DATABASE_DOWN_AFTER_SAVE if saved else DATABASE_DOWN
    elif isinstance(exc, (RedisConnectionError, RedisTimeoutError)):
        log.error("job queue unavailable: %s", exc)
        code, message = 503, QUEUE_DOWN_AFTER_SAVE if saved else QUEUE_DOWN
    else:
        if not logged:
            log.exception("unhandled error", exc_info=exc)
        code, message = 500, SAVED_THEN_FAILED if saved else NOT_SAVED
    headers = [("Retry-After", RETRY_AFTER)] if code == 503 else []
    if _wants_json():
        status = "Service Unavailable" if code == 503 else "Internal Server Error"
        return jsonify(code=code, status=status, message=message), code, headers
    return _page_without_database(code, message), code, headers


def _page_without_database(code: int, message: str) -> str:
    """The error page, drawn without asking the database anything: the signed-in header
    looks the person up, which is what may have just failed (or would wait on a dead
    server). Context processors are skipped for the same reason; the page shows no menu."""
    try:
        template = current_app.jinja_env.get_template("error.html")
        return template.render(code=code, message=message,
                               current_user=AnonymousUserMixin(), **_way_back())
    except Exception:  # the last wall: never let the server answer with its own bare page
        log.exception("the error page could not be drawn")
        return (f"<!doctype html><title>Error {code}</title><h1>Error {code}</h1>"
                f"<p>{escape(message)}</p><p><a href=\"/\">Back to the start page</a></p>")


def _too_large_message(quote: str) -> str:
    limit = request.max_content_length
    if limit is not None and _over_whole_body_limit(limit):
        size = f"{limit // MB} MB" if limit % MB == 0 else f"{limit / MB:.1f} MB"
        return (f"The upload is larger than the {size} limit (MAT_MAX_UPLOAD_MB). Import "
                f"larger attendance files with {quote}mat attendance import{quote}.")
    # within the whole-body limit: Werkzeug's per-form limits refused it
    return (f"Part of this form is too large: a text field over "
            f"{(request.max_form_memory_size or 0) // 1024} KB, or more than "
            f"{request.max_form_parts} parts. Attach long text as a file instead.")


def _over_whole_body_limit(limit: int) -> bool:
    if request.content_length is not None:
        return request.content_length > limit
    # no Content-Length (chunked): the stream is cut at the limit, so it ran out there
    stream = request.stream
    return not isinstance(stream, LimitedStream) or stream.is_exhausted


def _way_back() -> dict:
    """A link back to where the person was: the same address, when it shows a page (the form
    they posted, or the page to try again); relative to this site, never elsewhere."""
    rule = request.url_rule
    path = request.path
    if rule is None or "GET" not in (rule.methods or ()) or not path.startswith("/") \
            or path.startswith("//") or "\\" in path:
        return {}
    if request.method == "GET":
        query = request.query_string.decode("latin-1")
        return {"back_url": path + (f"?{query}" if query else ""), "back_label": "Try again"}
    return {"back_url": path, "back_label": "Back to the form"}
