"""What a person or a program sees when something outside the app fails: an upload over the
limit (MAT_MAX_UPLOAD_MB), a database that cannot be reached, Redis gone, and an error after
the data was already committed. Never a bare server page, never "nothing was saved" when
something was."""
from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from flask import request
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from core import accounts, pupils
from core.db import Database
from core.models import Concern, Pupil
from tests.web.conftest import CSRF_VALUE
from web import context

LIMIT_WORDS = "larger than the 1 MB limit (MAT_MAX_UPLOAD_MB)"
TWO_MB = 2 * 1024 * 1024
UNREACHABLE_PG = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def _committing_view(fail_with):
    """A view that records a pupil through the request's session and has an after-commit
    hook that raises ``fail_with``: the data is committed, then something fails."""
    def view(school_id: int):
        s = context.db()
        pupils.add_pupil(s, None, school_id, first_name="Saved", last_name="Before-Failing",
                         date_of_birth=dt.date(2016, 3, 1), year_group=4,
                         on_roll_from=dt.date(2025, 9, 1))

        def fail(_session):
            raise fail_with

        event.listen(s, "after_commit", fail)
        return {"ok": True}
    return view


def _failing_commit_view(school_id: int):
    """A view whose commit fails in the database (the connection drops at COMMIT)."""
    s = context.db()
    pupils.add_pupil(s, None, school_id, first_name="Never", last_name="Saved",
                     date_of_birth=dt.date(2016, 3, 1), year_group=4,
                     on_roll_from=dt.date(2025, 9, 1))

    def drop(_session):
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    event.listen(s, "before_commit", drop)
    return {"ok": True}


def _raising(exc):
    def view():
        raise exc
    return view


def _lazy_upload():
    """Reads the body only inside the view, as a plugin's upload endpoint does."""
    f = request.files.get("file")
    return {"size": len(f.read()) if f else 0}


def _own_limit():
    from flask import abort
    abort(413, description="a notification must be under 64 KB")


@pytest.fixture
def app(db, host, tmp_path):
    """The page tests' app with a 1 MB upload limit, errors answered as in production (not
    re-raised into the test), and throwaway routes that fail in the ways under test."""
    from core.config import Settings
    from web import create_app

    settings = Settings(instance_path=tmp_path, database_url="sqlite://",
                        secret_key="x" * 40, max_upload_mb=1)
    application = create_app(settings, db=db, host=host)
    application.config.update(TESTING=True, PROPAGATE_EXCEPTIONS=False)
    for prefix in ("/failtest", "/api/v1/failtest"):
        name = prefix.strip("/").replace("/", "_")
        application.add_url_rule(f"{prefix}/database-down",
                                 f"{name}_db", _raising(OperationalError(
                                     "SELECT 1", {}, Exception("connection refused"))))
        application.add_url_rule(f"{prefix}/redis-down", f"{name}_redis",
                                 _raising(RedisConnectionError("Connection refused")))
        application.add_url_rule(f"{prefix}/<int:school_id>/saved-then-fails",
                                 f"{name}_after_commit", _committing_view(RuntimeError("boom")))
        application.add_url_rule(f"{prefix}/<int:school_id>/saved-then-redis",
                                 f"{name}_after_commit_redis",
                                 _committing_view(RedisConnectionError("Connection refused")))
        application.add_url_rule(f"{prefix}/<int:school_id>/commit-fails",
                                 f"{name}_commit_fails", _failing_commit_view)
    application.add_url_rule("/api/v1/failtest/upload", "failtest_upload", _lazy_upload,
                             methods=["POST"])
    application.add_url_rule("/api/v1/failtest/own-limit", "failtest_own_limit", _own_limit,
                             methods=["POST"])
    return application


@pytest.fixture
def token(session, make_user, world):
    user, _ = make_user("dsl", school=world.school)
    return {"Authorization": f"Bearer {accounts.create_token(session, user.id, 'tests')}"}


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def _multipart(fields: dict[str, bytes], files: dict[str, bytes] | None = None,
               boundary="XyZ") -> bytes:
    out = b""
    files = files or {}
    for name, value in [*fields.items(), *files.items()]:
        disposition = f'form-data; name="{name}"' + \
            (f'; filename="{name}.csv"' if name in files else "")
        out += (f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
                + value + b"\r\n")
    return out + f"--{boundary}--\r\n".encode()


# --- the upload limit -----------------------------------------------------------------------

def test_a_page_form_over_the_limit_names_it_and_the_way_to_import_more(client, as_role, world,
                                                                       session):
    as_role("staff")
    before = _count(session, Concern)
    url = f"/schools/{world.school.id}/concerns/new"
    resp = client.post(url, data={"csrf_token": CSRF_VALUE, "action": "record",
                                  "fact": "A bruise.", "pupil_ids": [str(world.pupil.id)],
                                  "attachments": (io.BytesIO(b"x" * TWO_MB), "scan.pdf")})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 413
    assert LIMIT_WORDS in body and "mat attendance import" in body
    assert f'href="{url}"' in body  # back to the form they came from
    assert "Error 413" not in body
    assert _count(session, Concern) == before


def test_a_chunked_page_form_without_content_length_gets_the_same_answer(client, as_role,
                                                                        world):
    as_role("staff")
    body = _multipart({"csrf_token": CSRF_VALUE.encode()}, {"attachments": b"x" * TWO_MB})
    resp = client.post(f"/schools/{world.school.id}/concerns/new",
                       input_stream=io.BytesIO(body),
                       content_type="multipart/form-data; boundary=XyZ",
                       headers={"Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})
    assert resp.status_code == 413
    assert LIMIT_WORDS in resp.get_data(as_text=True)


def test_a_form_field_too_big_within_the_limit_is_not_blamed_on_the_limit(client, as_role,
                                                                         world):
    as_role("staff")  # Werkzeug's own cap on one text field (500 KB), under the 1 MB limit
    body = _multipart({"csrf_token": CSRF_VALUE.encode(), "fact": b"x" * 600_000})
    resp = client.post(f"/schools/{world.school.id}/concerns/new", data=body,
                       content_type="multipart/form-data; boundary=XyZ")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 413
    # the form comes back with the field named (tests/web/test_web_form_limits.py)
    assert "MAT_MAX_UPLOAD_MB" not in text and "Is too long to save" in text


def test_an_api_call_over_the_limit_answers_the_json_error_shape(client, world, token):
    resp = client.post(f"/api/v1/schools/{world.school.id}/concerns", headers=token,
                       data=json.dumps({"fact": "x" * TWO_MB}),
                       content_type="application/json")
    assert resp.status_code == 413
    body = resp.get_json()
    assert set(body) == {"code", "status", "message"} and body["code"] == 413
    assert body["message"] == ("The upload is larger than the 1 MB limit (MAT_MAX_UPLOAD_MB). "
                               "Import larger attendance files with `mat attendance import`.")


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_first_read_inside_the_view_is_answered_the_same(client, token, chunked):
    body = _multipart({}, {"file": b"x" * TWO_MB})
    extra = dict(headers={**token, "Transfer-Encoding": "chunked"},
                 environ_overrides={"wsgi.input_terminated": True}) if chunked \
        else dict(headers=token)
    resp = client.post("/api/v1/failtest/upload", input_stream=io.BytesIO(body),
                       content_type="multipart/form-data; boundary=XyZ", **extra)
    assert resp.status_code == 413
    assert LIMIT_WORDS in resp.get_json()["message"]


def test_an_endpoints_own_limit_keeps_its_words(client, token):
    resp = client.post("/api/v1/failtest/own-limit", headers=token, json={})
    assert resp.status_code == 413
    assert resp.get_json()["message"] == "a notification must be under 64 KB"


# --- the database or Redis cannot be reached -------------------------------------------------

DB_DOWN = "The database could not be reached; nothing was saved. Try again in a minute."


def test_a_database_error_in_a_view_is_a_503_saying_nothing_was_saved(client, as_role):
    as_role("staff")
    api = client.get("/api/v1/failtest/database-down")
    assert api.status_code == 503 and api.headers["Retry-After"] == "60"
    assert api.get_json() == {"code": 503, "status": "Service Unavailable", "message": DB_DOWN}
    page = client.get("/failtest/database-down")
    assert page.status_code == 503 and page.headers["Retry-After"] == "60"
    body = page.get_data(as_text=True)
    assert DB_DOWN in body and "Service unavailable" in body
    assert 'href="/failtest/database-down"' in body  # try again


def test_a_database_that_is_really_down_still_gets_a_readable_503(app, client, as_role, world,
                                                                 token):
    as_role("dsl")
    down = Database(UNREACHABLE_PG)
    real, app.extensions["mat_db"] = app.extensions["mat_db"], down
    try:  # every lookup fails: the signed-in person, the page, the error page's own header
        page = client.get(f"/schools/{world.school.id}/")
        api = client.get("/api/v1/schools", headers=token)
    finally:
        app.extensions["mat_db"] = real
        down.engine.dispose()
    assert page.status_code == 503 and DB_DOWN in page.get_data(as_text=True)
    assert api.status_code == 503 and api.get_json()["message"] == DB_DOWN


def test_a_failed_commit_is_a_503_and_nothing_is_stored(client, as_role, world, session):
    as_role("dsl")
    before = _count(session, Pupil)
    resp = client.get(f"/api/v1/failtest/{world.school.id}/commit-fails")
    assert resp.status_code == 503 and resp.get_json()["message"] == DB_DOWN
    assert _count(session, Pupil) == before


def test_redis_unreachable_is_a_503_that_does_not_claim_nothing_was_saved(client, as_role):
    as_role("staff")
    api = client.get("/api/v1/failtest/redis-down")
    assert api.status_code == 503 and api.headers["Retry-After"] == "60"
    assert api.get_json()["message"] == ("The job queue could not be reached. Check what was "
                                         "saved before trying again.")
    page = client.get("/failtest/redis-down")
    assert page.status_code == 503
    assert "job queue could not be reached" in page.get_data(as_text=True)


# --- an error after the data was committed ---------------------------------------------------

@pytest.mark.parametrize("prefix", ["/api/v1/failtest", "/failtest"])
def test_an_error_after_commit_says_the_change_was_saved(client, as_role, world, session,
                                                         prefix):
    as_role("dsl")
    resp = client.get(f"{prefix}/{world.school.id}/saved-then-fails")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 500
    assert "nothing was saved" not in text
    assert "Your change was saved, but something that should have followed it failed" in text
    if prefix.startswith("/api/"):
        assert resp.get_json()["code"] == 500
    else:
        assert "<h1>Error 500</h1>" in text  # the app's page, not the server's bare one
    assert session.scalar(select(func.count()).select_from(Pupil).where(
        Pupil.last_name == "Before-Failing")) == 1


def test_redis_failing_after_commit_says_the_change_was_saved(client, as_role, world, session):
    as_role("dsl")
    resp = client.get(f"/api/v1/failtest/{world.school.id}/saved-then-redis")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "60"
    message = resp.get_json()["message"]
    assert message.startswith("Your change was saved, but the job queue could not be reached")
    assert session.scalar(select(func.count()).select_from(Pupil).where(
        Pupil.last_name == "Before-Failing")) == 1
