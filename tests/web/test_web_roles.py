"""Every page, every role: who gets an answer and who gets 404 (never 403), from the rows of
``route_table.py``. What each allowed role then sees is checked page by page in the other
test files of this folder."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from tests.web.conftest import CSRF_VALUE, load

from core import alerts, concerns
from core.models import Attachment, JobRun, Membership

ROUTES = load("route_table").ROUTES
ROLES = ("staff", "dsl", "deputy_dsl", "headteacher", "school_admin", "trust_lead", "trust_admin")


@pytest.fixture
def urls(session, world, host, make_user):
    """A concrete URL for every page endpoint of the table."""
    att_concern = concerns.record_concern(
        session, None, world.school.id,
        occurred_at=dt.datetime(2026, 10, 6, 9, tzinfo=dt.timezone.utc),
        pupil_ids=[world.pupil.id], fact="Showed a note from home.",
        attachments=[concerns.NewAttachment("note.txt", "text/plain", b"the note")])
    att = session.scalar(select(Attachment).where(Attachment.concern_id == att_concern.id))
    alert, _ = alerts.raise_alert(session, world.school.id, "test", "Three concerns in a week",
                                  "roles-walk", pupil_id=world.pupil.id)
    staff, _ = make_user("staff", school=world.school)
    lead, _ = make_user("trust_lead", trust=world.trust)
    membership = session.scalar(select(Membership).where(Membership.user_id == staff.id))
    trust_membership = session.scalar(select(Membership).where(Membership.user_id == lead.id))
    category = concerns.categories(session, world.trust.id)[0]
    session.add(JobRun(id="walk-failed", func="nowhere.gone:job", school_id=world.school.id,
                       status="failed", error="Boom", attempts=3, args={}))
    session.flush()
    sid, pid, cid = world.school.id, world.pupil.id, world.concern.id
    return {
        "static": "/static/app.css",
        "pages.home": "/",
        "auth.login": "/login",
        "concerns.record": f"/schools/{sid}/concerns/new",
        "concerns.pupil_search": f"/schools/{sid}/concerns/pupil-search?q=oka",
        "concerns.mine": f"/schools/{sid}/concerns/mine",
        "casefile.concerns": f"/schools/{sid}/concerns",
        "casefile.export": f"/schools/{sid}/concerns.csv",
        "casefile.concern": f"/schools/{sid}/concerns/{cid}",
        "casefile.attachment": f"/schools/{sid}/concerns/{att_concern.id}/attachments/{att.id}",
        "casefile.add_entry": f"/schools/{sid}/concerns/{cid}/entries",
        "dashboard.school_dashboard": f"/schools/{sid}/dashboard",
        "dashboard.alerts": f"/schools/{sid}/alerts",
        "dashboard.alert": f"/schools/{sid}/alerts/{alert.id}",
        "pupils.index": f"/schools/{sid}/pupils",
        "pupils.pupil": f"/schools/{sid}/pupils/{pid}",
        "pupils.chronology_pdf": f"/schools/{sid}/pupils/{pid}/chronology.pdf",
        "pupils.flags": f"/schools/{sid}/pupils/{pid}/flags",
        "pupils.roll": f"/schools/{sid}/roll",
        "pupils.details": f"/schools/{sid}/pupils/{pid}/details",
        "pupils.edit": f"/schools/{sid}/pupils/{pid}/details",
        "pupils.leave": f"/schools/{sid}/pupils/{pid}/leave",
        "overview.trust_overview": "/trust/overview",
        "admin.index": "/admin",
        "admin.add_school": "/admin/schools",
        "admin.school": f"/admin/schools/{sid}",
        "admin.add_term": f"/admin/schools/{sid}/terms",
        "admin.add_closure": f"/admin/schools/{sid}/closures",
        "admin.set_plugin": f"/admin/schools/{sid}/plugins/tinyweb",
        "admin.add_person": f"/admin/schools/{sid}/people",
        "admin.revoke_role": f"/admin/schools/{sid}/roles/{membership.id}/revoke",
        "admin.jobs": "/admin/jobs",
        "admin.retry_job": "/admin/jobs/walk-failed/retry",
        "admin.trust": f"/admin/trusts/{world.trust.id}",
        "admin.add_category": f"/admin/trusts/{world.trust.id}/categories",
        "admin.change_category": f"/admin/trusts/{world.trust.id}/categories/{category.id}",
        "admin.settings": f"/admin/trusts/{world.trust.id}/settings",
        "admin.add_trust_person": f"/admin/trusts/{world.trust.id}/people",
        "admin.revoke_trust_role":
            f"/admin/trusts/{world.trust.id}/roles/{trust_membership.id}/revoke",
    }


# the sign-in pages answer by the state of the sign-in rather than by role (a wrong password
# is 401 for everyone): test_web_auth.py walks them
AUTH_FLOW = {"auth.login", "auth.second_factor", "auth.enrol", "auth.logout", "auth.security"}


def _call(client, method, url, world):
    if method == "GET":
        return client.get(url)
    # the trust a new school goes to is part of the form; the rest may stay empty
    return client.post(url, data={"csrf_token": CSRF_VALUE, "trust_id": world.trust.id})


def test_the_table_names_every_page_route(app):
    pages = {r.endpoint for r in app.url_map.iter_rules()
             if not r.endpoint.startswith(("api", "tinyweb")) and "openapi" not in r.endpoint}
    assert pages - set(ROUTES) == set()
    assert set(ROUTES) - pages == set()


@pytest.mark.parametrize("role", ROLES + ("other_school_dsl", "anonymous"))
def test_each_role_gets_exactly_what_the_table_allows(client, as_role, world, urls, role):
    if role == "other_school_dsl":
        as_role("dsl", school=world.other)
    elif role != "anonymous":
        as_role(role)
    wrong = []
    for endpoint, row in ROUTES.items():
        if endpoint in AUTH_FLOW or endpoint not in urls:
            continue
        for method in sorted(row["methods"]):
            resp = _call(client, method, urls[endpoint], world)
            names_school = "/schools/" in urls[endpoint]
            who = "dsl" if role == "other_school_dsl" and not names_school else role
            allowed = who in row["allow"]
            if role == "anonymous" and not allowed:
                # signed out: sent to sign in; a form post without the session's CSRF token
                # is refused before anything else (400)
                ok = (resp.status_code == 302 and "/login" in resp.location) or \
                    (method == "POST" and resp.status_code == 400)
            elif allowed:
                ok = resp.status_code not in (401, 403, 404) and resp.status_code < 500
            else:
                ok = resp.status_code == 404
            if not ok:
                wrong.append(f"{method} {urls[endpoint]} ({endpoint}): {resp.status_code}")
    assert wrong == [], f"{role}: " + "; ".join(wrong)


def test_a_refusal_never_says_forbidden_nor_names_the_record(client, as_role, world):
    as_role("staff")
    resp = client.get(f"/schools/{world.school.id}/concerns/{world.concern.id}")
    assert resp.status_code == 404
    body = resp.get_data(as_text=True)
    assert "Arrived without a coat" not in body and "Okafor" not in body
    assert "does not exist, or you do not have access" in body
