"""The retention pages: the due list with a pupil past retention, a legal hold placed and
lifted with a reason (a form without one comes back naming it), the trust lead's periods, and
the subject access export with what the DSL ticked withheld."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.web.conftest import CSRF_VALUE

from core.db import system_scope
from core.models import AuditEntry


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": CSRF_VALUE, **data})


def _past_retention(session, world):
    with system_scope(session, "test: a pupil born long ago"):
        world.pupil.date_of_birth = dt.date(1999, 4, 1)
        session.flush()


def test_the_dsl_sees_the_due_list_and_holds_a_file_with_a_reason(client, as_role, world,
                                                                  session):
    _past_retention(session, world)
    as_role("dsl")
    page = f"/schools/{world.school.id}/retention"
    body = client.get(page).get_data(as_text=True)
    assert "Due now (1)" in body and "Okafor, Amelia" in body and "1 April 2024" in body
    assert "IRMS" in body and "Change the periods" not in body
    pupil_page = f"/schools/{world.school.id}/pupils/{world.pupil.id}/retention"
    resp = _post(client, pupil_page + "/hold", reason="  ")
    assert resp.status_code == 422
    assert "Reason for the hold" in resp.get_data(as_text=True)
    assert "Is required" in resp.get_data(as_text=True)
    resp = _post(client, pupil_page + "/hold", reason="IICSA instruction")
    assert resp.status_code == 302
    body = client.get(page).get_data(as_text=True)
    assert "Due now (0)" in body and "IICSA instruction" in body
    resp = _post(client, pupil_page + "/lift", reason="Inquiry concluded")
    assert resp.status_code == 302
    body = client.get(pupil_page).get_data(as_text=True)
    assert "Lifted because: Inquiry concluded" in body and "No legal hold is in force" in body


def test_the_trust_lead_changes_the_periods_and_a_short_one_is_named(client, as_role, world,
                                                                     session):
    _past_retention(session, world)
    as_role("trust_lead")
    page = f"/schools/{world.school.id}/retention"
    assert "Change the periods" in client.get(page).get_data(as_text=True)
    resp = _post(client, page + "/rules", child_protection="20", pupil_record="25")
    assert resp.status_code == 422 and "between 25 and 120" in resp.get_data(as_text=True)
    resp = _post(client, page + "/rules", child_protection="30", pupil_record="25")
    assert resp.status_code == 302
    body = client.get(page).get_data(as_text=True)
    assert "Due now (0)" in body and "30 years" in body


def test_the_subject_access_export_withholds_what_was_ticked(client, as_role, world, session):
    as_role("dsl")
    page = f"/schools/{world.school.id}/pupils/{world.pupil.id}/subject-access"
    body = client.get(page).get_data(as_text=True)
    assert "Arrived without a coat in the rain." in body
    key = f"concern:{world.concern.id}"
    resp = _post(client, page, redact=key, format="json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert resp.get_json()["concerns"][0]["withheld"] is True
    assert "without a coat" not in resp.get_data(as_text=True)
    resp = _post(client, page, format="pdf")
    assert resp.data.startswith(b"%PDF")
    resp = _post(client, page, redact="pupil:999999", format="json")
    assert resp.status_code == 422 and "Not in this pupil" in resp.get_data(as_text=True)
    with system_scope(session, "check"):
        withheld = session.scalars(select(AuditEntry.detail).where(
            AuditEntry.action == "sar.exported").order_by(AuditEntry.id)).all()
    assert [w["withheld"] for w in withheld] == [[key], []]


def test_staff_and_a_headteacher_get_404(client, as_role, world):
    for role in ("staff", "headteacher", "school_admin"):
        as_role(role)
        for url in (f"/schools/{world.school.id}/retention",
                    f"/schools/{world.school.id}/pupils/{world.pupil.id}/subject-access"):
            assert client.get(url).status_code == 404, (role, url)


def test_the_dsl_destroys_a_due_file_after_confirming_and_the_tombstone_shows(
        client, as_role, world, session):
    _past_retention(session, world)
    page = f"/schools/{world.school.id}/pupils/{world.pupil.id}/retention"
    as_role("deputy_dsl")
    assert "Destroy the content" not in client.get(page).get_data(as_text=True)
    assert _post(client, page + "/destroy", destroy_reason="x", confirm="yes").status_code == 404
    as_role("dsl")
    shown = client.get(page).get_data(as_text=True)
    assert shown.count('action="' + page + '/destroy"') == 1  # one form, in the page's body
    title = shown[shown.index("<title>"):shown.index("</title>")]
    assert "<form" not in title and "Retention" in title
    resp = _post(client, page + "/destroy", destroy_reason="Reviewed with the DPO")
    assert resp.status_code == 422 and "Tick to confirm" in resp.get_data(as_text=True)
    resp = _post(client, page + "/destroy", destroy_reason="Reviewed with the DPO",
                 confirm="yes")
    assert resp.status_code == 302
    body = client.get(page).get_data(as_text=True)
    assert "1 concern(s)" in body and "Reason: Reviewed with the DPO" in body
    assert "content has been destroyed" in body
    concern = client.get(f"/schools/{world.school.id}/concerns/{world.concern.id}")
    assert "Arrived without a coat" not in concern.get_data(as_text=True)
