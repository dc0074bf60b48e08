"""Nobody chooses another person's password (issue 14): a new person is invited and sets their
own with a single-use, expiring link; a case-file role given by a trust admin waits for the
trust safeguarding lead, who is told and confirms it (never their own request); whoever holds
something that reads information about children enrols a second factor, key adults included,
and the sign-in pages say why in terms of what they really hold."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from core import accounts
from core.db import system_scope
from core.models import AuditEntry, MailMessage, Membership, User
from core.models.invitations import Invitation, RoleRequest
from tests.web.conftest import CSRF_VALUE

LINK = re.compile(r"/invite/([A-Za-z0-9_-]{20,})")
PASSWORD = "my own long passphrase"


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": CSRF_VALUE, **data})


def _audit(session, action, object_id):
    with system_scope(session, "test"):
        return session.scalars(select(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.object_id == str(object_id))).all()


def _user(session, email):
    with system_scope(session, "test"):
        return session.scalars(select(User).where(User.email == email)).one()


def _invite_staff(client, as_role, world, email="nia@example.org"):
    as_role("school_admin")
    resp = _post(client, f"/admin/schools/{world.school.id}/people", email=email,
                 role="staff", name="Nia Teacher", password="chosen by the admin 1")
    assert resp.status_code == 302
    assert "#" not in resp.headers["Location"]  # the page opens at the top, where the link is
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    links = LINK.findall(page)
    assert len(links) == 1, "without mail the link is shown to the admin"
    assert client.get(f"/admin/schools/{world.school.id}").get_data(as_text=True).count(
        links[0]) == 0, "shown once"
    return links[0]


def test_an_admin_cannot_set_anyones_password_and_the_invitation_goes_by_mail(
        client, as_role, world, session):
    token = _invite_staff(client, as_role, world)
    user = _user(session, "nia@example.org")
    assert user.password_hash is None
    assert accounts.authenticate(session, "nia@example.org", "chosen by the admin 1") is None
    with system_scope(session, "test"):
        inv = session.scalars(select(Invitation).where(Invitation.user_id == user.id)).one()
        mail = session.scalars(select(MailMessage).where(MailMessage.to == user.email)).one()
    assert inv.token_hash != token and len(inv.token_hash) == 64  # only the SHA-256 is kept
    assert token in mail.body and "Northfield" not in mail.body  # the link, nothing else
    assert inv.expires_at - inv.created_at == dt.timedelta(days=7)
    assert _audit(session, "invitation.sent", user.id)
    page = client.get(f"/admin/schools/{world.school.id}").get_data(as_text=True)
    assert 'name="password"' not in page and "invited: no password yet" in page


def test_an_invitation_sets_the_password_once(client, as_role, world, session):
    token = _invite_staff(client, as_role, world)
    client.post("/logout", data={"csrf_token": CSRF_VALUE})
    with client.session_transaction() as sess:  # a fresh visitor's form token
        sess["csrf_token"] = CSRF_VALUE
    page = client.get(f"/invite/{token}")
    assert page.status_code == 200 and "nia@example.org" in page.text
    resp = _post(client, f"/invite/{token}", password="short", confirm="short")
    assert resp.status_code == 422
    assert re.search(r'id="password-error">.*Must be at least 12 characters', resp.text)
    resp = _post(client, f"/invite/{token}", password=PASSWORD, confirm="something else 123")
    assert resp.status_code == 422 and 'id="confirm-error"' in resp.text
    resp = _post(client, f"/invite/{token}", password=PASSWORD, confirm=PASSWORD)
    assert resp.status_code == 302  # signed in: staff need no second factor
    assert client.get("/").status_code == 200
    user = _user(session, "nia@example.org")
    assert accounts.check_password(user, PASSWORD)
    assert _audit(session, "invitation.accepted", user.id)
    with client.session_transaction() as sess:
        sess["csrf_token"] = CSRF_VALUE
    again = _post(client, f"/invite/{token}", password="another long one 12",
                  confirm="another long one 12")
    assert again.status_code == 410 and "already been used" in again.text
    assert accounts.check_password(_user(session, "nia@example.org"), PASSWORD)


def test_an_invitation_expires_and_a_new_one_ends_the_old(client, as_role, world, session):
    first = _invite_staff(client, as_role, world)
    user = _user(session, "nia@example.org")
    page = client.get(f"/admin/schools/{world.school.id}").text
    assert "Send a new invitation" in page
    resp = _post(client, f"/admin/schools/{world.school.id}/people/{user.id}/invite")
    second = LINK.findall(client.get(resp.headers["Location"]).text)[0]
    assert second != first
    assert "replaced by a newer one" in client.get(f"/invite/{first}").text
    with system_scope(session, "test"):
        inv = session.scalars(select(Invitation).where(Invitation.user_id == user.id,
                                                       Invitation.ended_at.is_(None))).one()
        inv.expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
        session.flush()
    resp = client.get(f"/invite/{second}")
    assert resp.status_code == 410 and "expired" in resp.text
    assert client.get("/invite/not-a-real-token").status_code == 410
    assert _post(client, f"/invite/{second}", password=PASSWORD,
                 confirm=PASSWORD).status_code == 410
    assert _user(session, "nia@example.org").password_hash is None


def test_a_trust_admins_dsl_grant_waits_for_the_lead(client, as_role, world, session,
                                                      make_user, login_as):
    lead, _ = make_user("trust_lead", trust=world.trust, email="lead@example.org")
    admin, _ = as_role("trust_admin")
    resp = _post(client, f"/admin/schools/{world.school.id}/people",
                 email="new.dsl@example.org", role="dsl", name="Dee Esel")
    assert resp.status_code == 302
    assert "waits for the trust safeguarding lead" in client.get(resp.headers["Location"]).text
    dsl = _user(session, "new.dsl@example.org")
    with system_scope(session, "test"):
        assert session.scalars(select(Membership).where(Membership.user_id == dsl.id)
                               ).all() == []
        req = session.scalars(select(RoleRequest).where(RoleRequest.user_id == dsl.id)).one()
        told = session.scalars(select(MailMessage).where(MailMessage.to == lead.email)).all()
    assert (req.role, req.at_school_id, req.requested_by_id) == ("dsl", world.school.id,
                                                                 admin.id)
    assert len(told) == 1 and "Designated safeguarding lead" in told[0].body  # lead alerted
    assert _audit(session, "role.requested", dsl.id)
    # the admin cannot reach the lead's page, let alone confirm
    assert client.get(f"/admin/trusts/{world.trust.id}/role-requests").status_code == 404
    assert _post(client, f"/admin/trusts/{world.trust.id}/role-requests/{req.id}",
                 decision="confirm").status_code == 404
    # the lead confirms
    with client.session_transaction() as sess:
        sess.clear()
        sess.update({"_user_id": str(lead.id), "_fresh": True, "csrf_token": CSRF_VALUE,
                     "mfa_ok": True})
    page = client.get(f"/admin/trusts/{world.trust.id}/role-requests")
    assert page.status_code == 200 and "Dee Esel" in page.text
    assert _post(client, f"/admin/trusts/{world.trust.id}/role-requests/{req.id}",
                 decision="confirm").status_code == 303
    with system_scope(session, "test"):
        roles = session.scalars(select(Membership.role).where(Membership.user_id == dsl.id)
                                ).all()
    assert roles == ["dsl"]
    confirmed = _audit(session, "role.confirmed", dsl.id)
    assert confirmed and confirmed[0].user_id == lead.id
    assert _audit(session, "role.granted", dsl.id)


def test_nobody_confirms_their_own_request(client, world, session, make_user):
    """A trust admin who is also a trust lead asks for another lead: only another lead
    confirms it."""
    both, _ = make_user("trust_admin", trust=world.trust)
    accounts.grant_role(session, both.id, "trust_lead", trust_id=world.trust.id)
    with client.session_transaction() as sess:
        sess.update({"_user_id": str(both.id), "_fresh": True, "csrf_token": CSRF_VALUE,
                     "mfa_ok": True})
    assert _post(client, f"/admin/trusts/{world.trust.id}/people", email="l2@example.org",
                 role="trust_lead", name="Second Lead").status_code == 302
    with system_scope(session, "test"):
        req = session.scalars(select(RoleRequest)).one()
    page = client.get(f"/admin/trusts/{world.trust.id}/role-requests").text
    assert "Your own request" in page
    resp = _post(client, f"/admin/trusts/{world.trust.id}/role-requests/{req.id}",
                 decision="confirm")
    assert resp.status_code == 303
    assert "You cannot confirm your own request" in client.get(resp.headers["Location"]).text
    with system_scope(session, "test"):
        assert session.get(RoleRequest, req.id).decided_at is None
        assert not session.scalars(select(Membership).where(
            Membership.user_id == req.user_id)).all()


def test_the_lead_gives_a_dsl_role_directly(client, as_role, world, session):
    lead, _ = as_role("trust_lead")
    resp = _post(client, f"/admin/trusts/{world.trust.id}/role-requests/give",
                 email="deputy@example.org", name="Dep Uty", role="deputy_dsl",
                 school=str(world.other.id))
    assert resp.status_code == 303
    dep = _user(session, "deputy@example.org")
    with system_scope(session, "test"):
        m = session.scalars(select(Membership).where(Membership.user_id == dep.id)).one()
    assert (m.role, m.school_id) == ("deputy_dsl", world.other.id)
    assert dep.password_hash is None  # invited all the same
    bad = _post(client, f"/admin/trusts/{world.trust.id}/role-requests/give",
                email="x@example.org", name="X", role="school_admin",
                school=str(world.school.id))
    assert bad.status_code == 422 and 'id="role-error"' in bad.text
