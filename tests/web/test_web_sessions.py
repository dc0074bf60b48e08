"""Sessions on the server (issue 14): the cookie is a token; sign-out, password change, role
removal and an admin's "sign out everywhere" end sessions at once, so a copied cookie reads
nothing afterwards; idle and absolute limits; where one is signed in."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.web.conftest import CSRF_VALUE

from core.models import AuditEntry, Membership, WebSession

PASSWORD = "correct horse battery"


def _sign_in(client, email, password=PASSWORD):
    r = client.post("/login", data={"email": email, "password": password,
                                    "csrf_token": _csrf(client)})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]


def _csrf(client):
    with client.session_transaction() as sess:
        sess.setdefault("csrf_token", CSRF_VALUE)
        return sess["csrf_token"]


def _cookie(client):
    return client.get_cookie("session").value


def test_the_cookie_is_a_token_and_the_session_lives_on_the_server(client, world, make_user,
                                                                   session):
    user, _ = make_user("staff", school=world.school, mfa=False)
    _sign_in(client, user.email)
    token = _cookie(client)
    assert "." not in token and len(token) >= 40  # no signed payload, just a random token
    [row] = session.scalars(select(WebSession).where(WebSession.user_id == user.id,
                                                     WebSession.ended_at.is_(None))).all()
    assert row.data["_user_id"] == str(user.id) and token not in row.id  # only its hash


def test_a_cookie_copied_before_sign_out_reads_nothing_after(app, client, as_role, world,
                                                             session):
    as_role("dsl")
    page = f"/schools/{world.school.id}/concerns/{world.concern.id}"
    assert "Arrived without a coat" in client.get(page).get_data(as_text=True)
    stolen = _cookie(client)
    client.post("/logout", data={"csrf_token": CSRF_VALUE})
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    r = thief.get(page)
    assert r.status_code == 302 and r.location.startswith("/login")


def test_signing_in_issues_a_new_token(client, world, make_user):
    user, _ = make_user("staff", school=world.school, mfa=False)
    client.get("/login")
    _csrf(client)
    before = _cookie(client)
    _sign_in(client, user.email)
    assert _cookie(client) != before  # a token known before sign-in is worth nothing after


def test_changing_the_password_signs_out_everywhere_else(app, client, world, make_user,
                                                          session):
    user, _ = make_user("staff", school=world.school, mfa=False)
    other = app.test_client()
    _sign_in(other, user.email)
    _sign_in(client, user.email)
    bad = client.post("/account/security", data={
        "csrf_token": _csrf(client), "action": "password", "current_password": "wrong",
        "new_password": "a new long passphrase"})
    assert bad.status_code == 303
    assert other.get("/").status_code == 200  # nothing changed
    r = client.post("/account/security", data={
        "csrf_token": _csrf(client), "action": "password", "current_password": PASSWORD,
        "new_password": "a new long passphrase"})
    assert r.status_code == 303
    assert client.get("/").status_code == 200  # this browser stays signed in
    assert other.get("/").location.startswith("/login")
    again = app.test_client()
    _sign_in(again, user.email, "a new long passphrase")


def test_removing_a_role_ends_that_persons_sessions(app, client, world, make_user, login_as,
                                                    session):
    user, _ = make_user("staff", school=world.school, mfa=False)
    theirs = app.test_client()
    _sign_in(theirs, user.email)
    assert theirs.get("/").status_code == 200
    login_as("school_admin", school=world.school)
    m = session.scalar(select(Membership).where(Membership.user_id == user.id))
    r = client.post(f"/admin/schools/{world.school.id}/roles/{m.id}/revoke",
                    data={"csrf_token": CSRF_VALUE})
    assert r.status_code == 302
    assert theirs.get("/").location.startswith("/login")


def test_an_admin_signs_a_person_out_everywhere_and_it_is_audited(app, client, world, make_user,
                                                                  login_as, session):
    user, _ = make_user("staff", school=world.school, mfa=False)
    phone, laptop = app.test_client(), app.test_client()
    _sign_in(phone, user.email)
    _sign_in(laptop, user.email)
    admin, _ = login_as("school_admin", school=world.school)
    r = client.post(f"/admin/schools/{world.school.id}/people/{user.id}/sign-out",
                    data={"csrf_token": CSRF_VALUE})
    assert r.status_code == 302
    assert phone.get("/").location.startswith("/login")
    assert laptop.get("/").location.startswith("/login")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "sessions.ended")
                            .order_by(AuditEntry.id.desc())).first()
    assert entry.user_id == admin.id and entry.detail["sessions"] == 2
    # someone of another school is not theirs to sign out
    stranger, _ = make_user("staff", school=world.other, mfa=False)
    assert client.post(f"/admin/schools/{world.school.id}/people/{stranger.id}/sign-out",
                       data={"csrf_token": CSRF_VALUE}).status_code == 404


def test_the_absolute_limit_ends_even_an_active_session(app, client, world, make_user, session):
    user, _ = make_user("staff", school=world.school, mfa=False)
    _sign_in(client, user.email)
    assert client.get("/").status_code == 200
    row = session.scalars(select(WebSession).where(WebSession.user_id == user.id,
                                                   WebSession.ended_at.is_(None))).one()
    # signed in 13 hours ago, active a minute ago: past MAT_SESSION_MAX_HOURS (12)
    row.expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    session.commit()
    assert client.get("/").location.startswith("/login")


def test_the_security_page_lists_where_one_is_signed_in_and_signs_out_there(
        app, client, world, make_user):
    user, _ = make_user("staff", school=world.school, mfa=False)
    other = app.test_client()
    other.environ_base["HTTP_USER_AGENT"] = "Other Browser/1.0"
    _sign_in(other, user.email)
    _sign_in(client, user.email)
    page = client.get("/account/security").get_data(as_text=True)
    assert "Other Browser/1.0" in page and "(this browser)" in page
    r = client.post("/account/security", data={"csrf_token": _csrf(client),
                                                "action": "sign_out_others"})
    assert r.status_code == 303
    assert other.get("/").location.startswith("/login")
    assert client.get("/").status_code == 200
