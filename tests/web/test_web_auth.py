"""Signing in through the pages: password, the second factor for case-file roles (enrolment by
QR code, several devices, one-time recovery codes), the rate limit, signing out, expiry, and
the start page each person lands on."""
from __future__ import annotations

import datetime as dt
import re
import time

import pyotp
import pytest
from sqlalchemy import select

from core.models import TotpDevice

PASSWORD = "correct horse battery"  # what tests/conftest.py's make_user gives everyone


def _csrf(client) -> str:
    body = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)


def _sign_in(client, email, password=PASSWORD):
    return client.post("/login", data={"csrf_token": _csrf(client), "email": email,
                                       "password": password})


def _device(session, user, secret=None) -> str:
    secret = secret or pyotp.random_base32()
    session.add(TotpDevice(user_id=user.id, name="phone", secret=secret,
                           confirmed_at=dt.datetime.now(dt.timezone.utc)))
    session.flush()
    return secret


def _code(client, code):
    body = client.get("/login/second-factor").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
    return client.post("/login/second-factor", data={"csrf_token": token, "code": code})


def test_the_sign_in_page_hints_at_the_demo_only_in_development(client, tmp_path, db, host):
    assert "demo accounts are listed in the README" in client.get("/login").get_data(
        as_text=True)
    from core.config import Settings
    from web import create_app

    prod = create_app(Settings(env="production", instance_path=tmp_path, secret_key="p" * 40,
                               audit_key="a" * 40, totp_key="t" * 40),
                      db=db, host=host)
    body = prod.test_client().get("/login").get_data(as_text=True)
    assert "Sign in" in body and "README" not in body


def test_staff_sign_in_with_a_password_and_land_on_the_start_page(client, world, make_user):
    user, _ = make_user("staff", school=world.school, mfa=False)
    resp = _sign_in(client, user.email)
    assert resp.status_code == 302 and resp.location == "/"
    home = client.get("/").get_data(as_text=True)
    assert f"Hello, {user.name}" in home and "Record a concern" in home
    assert "DSL dashboard" not in home


def test_a_wrong_password_is_refused_without_saying_which_part(client, world, make_user):
    user, _ = make_user("staff", school=world.school, mfa=False)
    resp = _sign_in(client, user.email, "not the password")
    assert resp.status_code == 401
    assert "do not match an active account" in resp.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_attempts_are_rate_limited(client, world, make_user):
    user, _ = make_user("staff", school=world.school, mfa=False)
    for _ in range(5):
        assert _sign_in(client, user.email, "wrong wrong wrong").status_code == 401
    resp = _sign_in(client, user.email)  # even the right password now
    assert resp.status_code == 429
    assert "Too many attempts" in resp.get_data(as_text=True)


def test_a_dsl_enrols_an_authenticator_by_qr_code_then_gets_recovery_codes(client, world,
                                                                           make_user):
    user, _ = make_user("dsl", school=world.school, mfa=False)
    resp = _sign_in(client, user.email)
    assert resp.location == "/login/enrol"
    # half signed in: case files stay shut
    assert client.get(f"/schools/{world.school.id}/dashboard").location.endswith(
        "/login/second-factor")
    page = client.get("/login/enrol").get_data(as_text=True)
    assert 'src="data:image/svg+xml;base64,' in page
    import base64
    import re
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page).group(1))
    assert b'xmlns="http://www.w3.org/2000/svg"' in svg  # without it an <img> draws nothing
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    done = client.post("/login/enrol", data={"csrf_token": token, "name": "My phone",
                                             "code": pyotp.TOTP(secret).now()})
    body = done.get_data(as_text=True)
    assert "Keep these one-time recovery codes" in body
    assert len(re.findall(r"<li><code>", body)) >= 8
    assert client.get(f"/schools/{world.school.id}/dashboard").status_code == 200


def test_the_second_factor_accepts_a_code_once_and_a_recovery_code_once(client, world,
                                                                         make_user, session):
    from core import accounts

    user, _ = make_user("dsl", school=world.school, mfa=False)
    secret = _device(session, user)
    codes = accounts.new_recovery_codes(session, user.id)
    assert _sign_in(client, user.email).location == "/login/second-factor"
    assert _code(client, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
                 ).status_code == 401
    code = pyotp.TOTP(secret).now()
    assert _code(client, code).status_code == 302
    assert client.get(f"/schools/{world.school.id}/dashboard").status_code == 200
    client.post("/logout", data={"csrf_token": _csrf_from(client)})
    _sign_in(client, user.email)
    assert _code(client, code).status_code == 401  # the same code again: a replay
    assert _code(client, codes[0]).status_code == 302  # a lost phone: a recovery code
    client.post("/logout", data={"csrf_token": _csrf_from(client)})
    _sign_in(client, user.email)
    assert _code(client, codes[0]).status_code == 401  # spent


def _csrf_from(client) -> str:
    body = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)


def test_a_second_device_can_be_added(client, world, make_user, session):
    user, _ = make_user("deputy_dsl", school=world.school, mfa=False)
    first = _device(session, user)
    _sign_in(client, user.email)
    _code(client, pyotp.TOTP(first).now())
    page = client.get("/account/security").get_data(as_text=True)
    assert "phone (added" in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/account/security", data={"csrf_token": token, "name": "Backup phone",
                                           "code": pyotp.TOTP(secret).now()})
    names = session.scalars(select(TotpDevice.name).where(
        TotpDevice.user_id == user.id, TotpDevice.confirmed_at.is_not(None))).all()
    assert sorted(names) == ["Backup phone", "phone"]


def test_signing_out_ends_the_session(client, world, make_user):
    user, _ = make_user("staff", school=world.school, mfa=False)
    _sign_in(client, user.email)
    resp = client.post("/logout", data={"csrf_token": _csrf_from(client)})
    assert resp.location == "/login"
    assert client.get("/").location.startswith("/login")


def test_an_idle_session_expires(client, app, world, make_user):
    user, _ = make_user("staff", school=world.school, mfa=False)
    _sign_in(client, user.email)
    assert client.get("/").status_code == 200
    app.permanent_session_lifetime = dt.timedelta(seconds=1)
    time.sleep(2.1)
    assert client.get("/").location.startswith("/login")


def test_a_form_without_the_csrf_token_is_refused(client, as_role, world):
    as_role("staff")
    resp = client.post(f"/schools/{world.school.id}/concerns/new",
                       data={"action": "record", "fact": "x"})
    assert resp.status_code == 400
    assert "The form expired" in resp.get_data(as_text=True)


@pytest.mark.parametrize("role,expect,absent", [
    ("dsl", ["DSL dashboard", "Pupils", "Record a concern"], ["Manage school"]),
    ("school_admin", ["Manage school"], ["Record a concern", "DSL dashboard"]),
    ("trust_lead", ["Trust overview", "DSL dashboard"], ["Manage school", "Record a concern"]),
    ("trust_admin", ["Concern categories and trust people", "Manage school"],
     ["DSL dashboard", "Trust overview</a> <span"]),
])
def test_the_start_page_shows_each_role_where_to_begin(client, as_role, world, role, expect,
                                                       absent):
    as_role(role)
    body = client.get("/").get_data(as_text=True)
    assert "records and follows up worries about children" in body
    for text in expect:
        assert text in body, text
    for text in absent:
        assert text not in body, text


def test_a_case_role_without_the_second_factor_is_told_why(client, as_role, world):
    as_role("dsl", mfa=False)
    body = client.get("/").get_data(as_text=True)
    assert "sign out and in again with your authenticator code" in body
    assert "DSL dashboard" not in body
