"""Pages and API by role: a school sees only its own staff; staff see only their own
training; the trust sees aggregates and may drill into a school's matrix."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from core.models import AuditEntry
from plugins.training import service
from plugins.training.models import Acknowledgement, TrainingRecord
from .training_constants import CSRF

D = dt.date
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(make_trust, make_school, make_person, courses, add_done):
    trust = make_trust()
    school = make_school(trust=trust)
    other = make_school(trust=trust)
    c = courses(trust.id)
    ours = make_person(school, "teacher", name="Olive Ours", email="olive@example.org")
    add_done(ours, c["induction"], D(2024, 9, 2))
    theirs = make_person(other, "teacher", name="Theo Theirs")
    return dict(trust=trust, school=school, other=other, ours=ours, theirs=theirs, c=c)


def _url(school, path=""):
    return f"/schools/{school.id}/training{path}"


@pytest.mark.parametrize("role, sees", [
    ("dsl", True), ("deputy_dsl", True), ("headteacher", True), ("school_admin", True),
    ("staff", False)])
def test_school_roles_and_the_matrix(client, login_as, world, role, sees):
    login_as(role, school=world["school"])
    resp = client.get(_url(world["school"], "/compliance"))
    assert resp.status_code == (200 if sees else 404)
    if sees:
        assert b"Olive Ours" in resp.data and b"Theo Theirs" not in resp.data


def test_another_schools_dsl_gets_404_everywhere(client, login_as, world):
    login_as("dsl", school=world["other"])
    for path in ("/compliance", f"/staff/{world['ours'].id}", "/needs", "/me", "/policies"):
        assert client.get(_url(world["school"], path)).status_code == 404, path
    # and their own school's pages never show the other school's staff
    assert b"Olive Ours" not in client.get(_url(world["other"], "/compliance")).data
    assert client.get(_url(world["other"], f"/staff/{world['ours'].id}")).status_code == 404


@pytest.mark.parametrize("role", ["trust_lead", "trust_admin"])
def test_trust_may_drill_in_but_not_change(client, login_as, world, session, role):
    login_as(role, trust=world["trust"])
    resp = client.get(_url(world["school"], "/compliance"))
    assert resp.status_code == 200 and b"Olive Ours" in resp.data
    assert session.scalar(select(AuditEntry.action).where(
        AuditEntry.action == "training.matrix_read", AuditEntry.school_id == world["school"].id))
    resp = client.post(_url(world["school"], f"/staff/{world['ours'].id}/records"), data={
        "csrf_token": CSRF, "course_id": world["c"]["prevent"].id, "completed_on": "2026-10-01"})
    assert resp.status_code == 404
    assert client.get(_url(world["school"], "/import")).status_code == 404


def test_staff_see_their_own_record_and_no_one_elses(client, login_as, world, make_person,
                                                     session):
    user, _ = login_as("staff", school=world["school"])
    me = make_person(world["school"], "support_staff", name="Stan Self", email=user.email)
    colleague = world["ours"]
    resp = client.get(_url(world["school"], "/me"))
    assert resp.status_code == 200 and b"Safeguarding induction" in resp.data
    assert client.get(_url(world["school"], f"/staff/{me.id}")).status_code == 200
    assert client.get(_url(world["school"], f"/staff/{colleague.id}")).status_code == 404
    assert client.get(_url(world["school"], "/needs")).status_code == 404


def test_record_with_certificate_and_bad_uploads(client, login_as, world, session):
    user, _ = login_as("school_admin", school=world["school"])
    url = _url(world["school"], f"/staff/{world['ours'].id}/records")
    form = {"csrf_token": CSRF, "course_id": str(world["c"]["prevent"].id),
            "completed_on": "2026-10-01", "provider": "Home Office e-learning"}
    bad = client.post(url, data={**form, "certificate": (io.BytesIO(b"MZ\x90\x00"), "x.pdf")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and b"is not a PDF, PNG or JPEG" in bad.data
    big = client.post(url, data={**form, "certificate": (
        io.BytesIO(PDF + b"0" * (5 * 1024 * 1024)), "big.pdf")}, content_type="multipart/form-data")
    assert big.status_code == 422 and b"larger than 5 MB" in big.data
    future = client.post(url, data={**form, "completed_on": "2099-01-01"})
    assert future.status_code == 422 and b"cannot be in the future" in future.data
    count = select(func.count()).select_from(TrainingRecord).where(
        TrainingRecord.staff_id == world["ours"].id)
    assert session.scalar(count) == 1  # only the induction
    ok = client.post(url, data={**form, "certificate": (io.BytesIO(PDF), "prevent.pdf")},
                     content_type="multipart/form-data")
    assert ok.status_code == 302
    rec = session.scalar(select(TrainingRecord).where(TrainingRecord.certificate_name ==
                                                      "prevent.pdf"))
    assert (rec.certificate_type, rec.certificate_size, rec.recorded_by_id) == \
        ("application/pdf", len(PDF), user.id)
    got = client.get(_url(world["school"], f"/records/{rec.id}/certificate"))
    assert got.status_code == 200 and got.data == PDF and got.mimetype == "application/pdf"


def test_import_page_reports_every_bad_row(client, login_as, world, session):
    login_as("dsl", school=world["school"])
    csv = (b"email,course,completed_on\n"
           b"olive@example.org,prevent,2026-10-01\n"
           b"olive@example.org,knitting,2026-10-01\n"
           b"nobody@example.org,prevent,yesterday\n")
    resp = client.post(_url(world["school"], "/import"), data={
        "csrf_token": CSRF, "file": (io.BytesIO(csv), "provider.csv")},
        content_type="multipart/form-data")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Nothing was imported: 3 problems" in html
    for cell in ("<td class=\"num\">3</td><td>course</td>",
                 "<td class=\"num\">4</td><td>email</td>",
                 "<td class=\"num\">4</td><td>completed_on</td>"):
        assert cell in html
    assert session.scalar(select(func.count()).select_from(TrainingRecord).where(
        TrainingRecord.source == "import")) == 0


def test_staff_sign_a_policy_on_the_page(client, login_as, world, make_person, session):
    user, _ = login_as("staff", school=world["school"])
    me = make_person(world["school"], "teacher", name="Sue Signer", email=user.email)
    p = service.publish_policy(session, None, world["school"].id, "KCSIE part one", "2025")
    assert b"I have read it" in client.get(_url(world["school"], "/policies")).data
    resp = client.post(_url(world["school"], f"/policies/{p.id}/sign"), data={"csrf_token": CSRF})
    assert resp.status_code == 302
    page = client.get(_url(world["school"], "/policies")).data
    assert b"I have read it" not in page and b"Signed" in page
    assert session.scalar(select(Acknowledgement.staff_id).where(
        Acknowledgement.policy_id == p.id)) == me.id
    # staff may not publish
    resp = client.post(_url(world["school"], "/policies"),
                       data={"csrf_token": CSRF, "title": "Mine", "version": "1"})
    assert resp.status_code == 404


def test_plugin_off_means_no_pages(client, login_as, make_school):
    school = make_school(plugins=[])
    login_as("dsl", school=school)
    assert client.get(_url(school, "/compliance")).status_code == 404
    assert client.get(f"/api/v1/schools/{school.id}/training/compliance").status_code == 404


def test_api_compliance_and_validation(client, login_as, world):
    login_as("trust_lead", trust=world["trust"])
    resp = client.get(f"/api/v1/schools/{world['school'].id}/training/compliance")
    assert resp.status_code == 200
    body = resp.get_json()
    assert [p["name"] for p in body["people"]] == ["Olive Ours"]
    olive = body["people"][0]
    assert {c["course"]: c["status"] for c in olive["courses"]} == {
        "induction": "compliant", "annual_update": "expired", "prevent": "missing",
        "online_safety": "missing"}
    assert olive["compliant"] is False and body["compliance_pct"] == 0.0
    login_as("dsl", school=world["school"])
    bad = client.post(f"/api/v1/schools/{world['school'].id}/training/records", json={
        "staff_id": world["theirs"].id, "course_id": world["c"]["prevent"].id,
        "completed_on": "2026-10-01"}, headers={"X-CSRF-Token": CSRF})
    assert bad.status_code == 422
    assert "staff_id" in bad.get_json()["errors"]["json"]
    missing = client.post(f"/api/v1/schools/{world['school'].id}/training/staff",
                          json={"name": "New Person"}, headers={"X-CSRF-Token": CSRF})
    assert missing.status_code == 422 and "job_role" in missing.get_json()["errors"]["json"]


def test_add_edit_and_withdraw_from_the_pages(client, login_as, world, session):
    school = world["school"]
    login_as("headteacher", school=school)
    bad = client.post(_url(school, "/staff/new"), data={
        "csrf_token": CSRF, "name": "Gil Governor", "email": "not-an-email",
        "job_role": "governor"})
    assert bad.status_code == 422 and b"is not an email address" in bad.data
    ok = client.post(_url(school, "/staff/new"), data={
        "csrf_token": CSRF, "name": "Gil Governor", "job_role": "governor"})
    assert ok.status_code == 302
    rec = session.scalar(select(TrainingRecord).where(TrainingRecord.staff_id ==
                                                      world["ours"].id))
    assert client.post(_url(school, f"/records/{rec.id}/withdraw"),
                       data={"csrf_token": CSRF, "reason": "Wrong person"}).status_code == 302
    session.refresh(rec)
    assert rec.withdrawn_reason == "Wrong person" and rec.withdrawn_at is not None
    matrix = client.get(_url(school, "/compliance")).get_data(as_text=True)
    assert "Gil Governor" in matrix and "Olive Ours" in matrix
    assert client.post(_url(school, f"/staff/{world['ours'].id}/edit"), data={
        "csrf_token": CSRF, "name": "Olive Ours", "email": "olive@example.org",
        "job_role": "teacher", "left_on": "2026-10-31"}).status_code == 302
    assert "Olive Ours" not in client.get(_url(school, "/compliance")).get_data(as_text=True)


def test_someone_not_on_the_list_is_not_offered_a_signature(client, login_as, world, session):
    service.publish_policy(session, None, world["school"].id, "KCSIE part one", "2025")
    login_as("trust_lead", trust=world["trust"])
    page = client.get(_url(world["school"], "/policies")).data
    assert b"Not on the staff list" in page and b"I have read it" not in page


def test_matrix_as_csv(client, login_as, world, make_person, courses, add_done):
    school = world["school"]
    sneaky = make_person(school, "midday_supervisor", name="=HYPERLINK(\"http://x\")")
    add_done(sneaky, world["c"]["induction"], D(2026, 9, 1))
    login_as("trust_lead", trust=world["trust"])
    resp = client.get(_url(school, "/compliance.csv"))
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    lines = resp.get_data(as_text=True).splitlines()
    assert lines[0] == ("Name,Role,Safeguarding role,Compliant,Safeguarding induction,"
                        "Safeguarding induction: due,Annual safeguarding update,"
                        "Annual safeguarding update: due,Prevent awareness,"
                        "Prevent awareness: due,Online safety,Online safety: due")
    # by name ("=" sorts first); a name a spreadsheet would run as a formula is kept as text
    assert lines[1] == ("\"'=HYPERLINK(\"\"http://x\"\")\",Midday supervisor,,Yes,In date,,"
                        "In date,2027-09-01,,,,")
    # Olive: induction 2 Sep 2024 (once), whose year as her update ended on 2 Sep 2025
    assert lines[2] == ("Olive Ours,Teacher,,No,In date,,Expired,2025-09-02,Missing,,"
                        "Missing,")
    login_as("staff", school=school)
    assert client.get(_url(school, "/compliance.csv")).status_code == 404
