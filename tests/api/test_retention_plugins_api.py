"""Destroying a plugin's records through the API (issue 14): 201 with the tombstone, 422 naming
the field (unknown type, a subject of the wrong kind, before the end), 404 for records the
school does not hold and for anyone but the DSL; the due list answers staff records apart and
the trust's years take a plugin's type by its key."""
from __future__ import annotations

import datetime as dt

from plugins.attendance.models import AttendanceWeek
from plugins.attendance.weeks import encode


def test_plugin_records_destroyed_and_refused_through_the_api(caller, session, make_trust,
                                                              make_school, make_pupil):
    trust = make_trust()
    school = make_school(trust)
    pupil = make_pupil(school, first_name="Ria", last_name="Stone")
    fresh = make_pupil(school)
    for start in (dt.date(2021, 9, 6), dt.date(2026, 9, 7)):
        session.add(AttendanceWeek(school_id=school.id, trust_id=trust.id, pupil_id=pupil.id,
                                   week_start=start, marks=encode({0: "/"}), possible=1,
                                   present=1))
    session.add(AttendanceWeek(school_id=school.id, trust_id=trust.id, pupil_id=fresh.id,
                               week_start=dt.date(2026, 9, 7), marks=encode({0: "/"}),
                               possible=1, present=1))
    session.flush()
    dsl, deputy = caller("dsl", school), caller("deputy_dsl", school)
    url = f"/api/v1/schools/{school.id}/retention/records/destroy"
    body = {"record_type": "attendance.registers", "subject": f"pupil:{pupil.id}",
            "reason": "Three years have passed"}

    due = dsl.get(f"/api/v1/schools/{school.id}/retention/due").get_json()
    assert [r["due"] for r in due["due"] if r["pupil_id"] == pupil.id] == [
        ["attendance.registers"]]
    assert deputy.post(url, json=body).status_code == 404
    bad = dsl.post(url, json={**body, "record_type": "attendance.marks"})
    assert bad.status_code == 422 and "record_type" in bad.get_json()["errors"]["json"]
    bad = dsl.post(url, json={**body, "subject": f"staff:{pupil.id}"})
    assert bad.status_code == 422 and "subject" in bad.get_json()["errors"]["json"]
    early = dsl.post(url, json={**body, "subject": f"pupil:{fresh.id}"})
    assert early.status_code == 422
    assert "retention runs until" in early.get_json()["errors"]["json"]["record_type"][0]
    assert dsl.post(url, json={**body, "subject": "pupil:999999"}).status_code == 404
    made = dsl.post(url, json=body)
    assert made.status_code == 201, made.get_json()
    tomb = made.get_json()
    assert (tomb["pupil_id"], tomb["rule"], tomb["rule_years"]) == (pupil.id,
                                                                    "attendance.registers", 3)
    assert tomb["summary"]["register_weeks"] == 1
    assert session.query(AttendanceWeek).filter_by(pupil_id=pupil.id).count() == 1

    lead = caller("trust_lead", trust=trust)
    rules = lead.put(f"/api/v1/trusts/{trust.id}/retention-rules",
                     json={"attendance.registers": 4})
    assert rules.status_code == 200
    assert {r["key"]: r["years"] for r in rules.get_json()}["attendance.registers"] == 4
    low = lead.put(f"/api/v1/trusts/{trust.id}/retention-rules",
                   json={"training.records": 2})
    assert low.status_code == 422 and "training.records" in str(low.get_json()["errors"])
