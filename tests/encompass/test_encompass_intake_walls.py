"""The intake's walls against a large body: the credentials are checked before a byte of the
body is read, and the 64 KB cap holds whether or not the body says its length (chunked)."""
from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from plugins.encompass.api import MAX_BODY

URL = "/api/v1/encompass/notifications"


class CountingStream(io.RawIOBase):
    """A body of ``size`` bytes of JSON-ish text that counts how much was read from it."""

    def __init__(self, size: int):
        self.left, self.read_bytes = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.left)
        buffer[:n] = b" " * n
        self.left -= n
        self.read_bytes += n
        return n


@pytest.fixture
def world(make_trust, make_school, make_pupil):
    trust = make_trust()
    school = make_school(trust=trust)
    make_pupil(school, first_name="Amelia", last_name="Smith", date_of_birth=dt.date(2016, 4, 7))
    return dict(trust=trust, school=school)


def send(client, auth, stream, *, length: int | None = None):
    """POST a body from ``stream``; without ``length`` it goes as a chunked body does (no
    Content-Length; the server, as gunicorn does, says it ends the stream itself)."""
    headers = {"Authorization": auth} if auth else {}
    if length is not None:
        headers["Content-Length"] = str(length)
    return client.post(URL, headers=headers, content_type="application/json",
                       environ_overrides={"wsgi.input": stream, "wsgi.input_terminated": True})


@pytest.mark.parametrize("chunked", [True, False])
def test_a_large_body_without_credentials_is_refused_before_it_is_read(client, chunked):
    body = CountingStream(10 * 1024 * 1024)
    r = send(client, None, body, length=None if chunked else 10 * 1024 * 1024)
    assert r.status_code == 401
    assert body.read_bytes == 0


def test_a_chunked_body_over_the_cap_is_refused(client, world, api_client):
    body = CountingStream(10 * 1024 * 1024)
    r = send(client, api_client(world["trust"]), body)
    assert r.status_code == 413
    assert "64 KB" in r.get_json()["message"]
    assert body.read_bytes <= MAX_BODY + 64 * 1024  # at most the cap and one read past it


def test_a_chunked_body_under_the_cap_is_received(client, world, api_client, payload):
    raw = json.dumps(payload(urn=world["school"].urn)).encode()
    r = send(client, api_client(world["trust"]), io.BytesIO(raw))
    assert r.status_code == 201, r.get_json()


def test_a_body_of_exactly_the_cap_is_read_and_one_byte_more_is_not(client, world, api_client,
                                                                    payload):
    raw = json.dumps(payload(urn=world["school"].urn)).encode()
    exact = raw + b" " * (MAX_BODY - len(raw))
    auth = api_client(world["trust"])  # made before any request (on PostgreSQL a request
    # leaves its row-security role on the shared test connection)
    assert send(client, auth, io.BytesIO(exact)).status_code == 201
    over = send(client, auth, io.BytesIO(exact + b" "))
    assert over.status_code == 413


def test_deep_nesting_after_the_credentials_is_a_400(client, world, api_client):
    deep = b"[" * 50_000 + b"]" * 50_000
    r = send(client, api_client(world["trust"]), io.BytesIO(deep[:MAX_BODY]))
    assert r.status_code in (400, 422)


def test_the_app_wide_limit_holds_for_a_chunked_body(app):
    """MAX_CONTENT_LENGTH counts the bytes of a body that does not give its length: a form
    going on past it is refused, not taken cut short at the limit."""
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    limit = app.config["MAX_CONTENT_LENGTH"]
    body = CountingStream(limit + 1024 * 1024)
    environ = EnvironBuilder(path="/login", method="POST",
                             content_type="application/x-www-form-urlencoded").get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": body, "wsgi.input_terminated": True})
    _, status, _ = run_wsgi_app(app, environ)
    assert status.startswith("413")
    assert body.left > 0  # refused before the end of the body


def test_a_chunked_form_within_the_limit_is_read_whole(app):
    from flask import request
    from werkzeug.test import EnvironBuilder

    raw = b"a=" + b"x" * 5000
    environ = EnvironBuilder(path="/", method="POST",
                             content_type="application/x-www-form-urlencoded").get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": io.BytesIO(raw), "wsgi.input_terminated": True})
    with app.request_context(environ):
        assert request.form["a"] == "x" * 5000
