"""The retention and subject-access endpoints: the due list, a legal hold set and lifted,
the trust's years, the export with keys withheld; bad input named, 404 elsewhere."""
from __future__ import annotations

import datetime as dt


def test_due_list_holds_and_rules_through_the_api(caller, session, make_trust, make_school,
                                                  make_pupil, make_concern):
    trust = make_trust()
    school = make_school(trust)
    pupil = make_pupil(school, first_name="Dan", last_name="Moss")
    pupil.date_of_birth = dt.date(1998, 2, 1)
    make_concern(school, [pupil])
    dsl = caller("dsl", school)
    due = dsl.get(f"/api/v1/schools/{school.id}/retention/due").get_json()
    assert [(r["name"], r["due"], r["review_dates"]["child_protection"]) for r in due["due"]] \
        == [("Dan Moss", ["child_protection"], "2023-02-01")]
    # the core's rules and each installed plugin's, with the IRMS defaults
    assert {r["key"]: r["years"] for r in due["rules"]} == {
        "child_protection": 25, "pupil_record": 25, "attendance.registers": 3,
        "encompass.notifications": 25, "transition.files": 25, "training.records": 6}
    assert {r["key"]: r["about"] for r in due["rules"]}["training.records"] == "staff"
    assert due["staff"] == []
    base = f"/api/v1/schools/{school.id}/pupils/{pupil.id}"
    assert dsl.post(base + "/legal-hold", json={}).status_code == 422
    resp = dsl.post(base + "/legal-hold", json={"reason": "IICSA"})
    assert resp.status_code == 201 and resp.get_json()["reason"] == "IICSA"
    again = dsl.post(base + "/legal-hold", json={"reason": "again"})
    assert again.status_code == 422 and "reason" in again.get_json()["errors"]["json"]
    due = dsl.get(f"/api/v1/schools/{school.id}/retention/due").get_json()
    assert due["due"] == [] and due["held"][0]["hold"]["reason"] == "IICSA"
    assert dsl.post(base + "/legal-hold/lift", json={"reason": "Over"}).status_code == 200
    status = dsl.get(base + "/retention").get_json()
    assert status["hold"] is None and status["holds"][0]["lift_reason"] == "Over"

    lead = caller("trust_lead", trust=trust)
    rules = f"/api/v1/trusts/{trust.id}/retention-rules"
    bad = lead.put(rules, json={"child_protection": 10})
    assert bad.status_code == 422 and "child_protection" in bad.get_json()["errors"]["json"]
    assert lead.put(rules, json={"child_protection": 40}).status_code == 200
    assert dsl.put(rules, json={"child_protection": 40}).status_code == 404


def test_subject_access_through_the_api(caller, make_school, make_pupil, make_concern):
    school = make_school()
    amy = make_pupil(school, first_name="Amy", last_name="Brown")
    ben = make_pupil(school, first_name="Ben", last_name="Carter")
    make_concern(school, [amy, ben], fact="Ben Carter took Amy's lunch.")
    dsl = caller("dsl", school)
    base = f"/api/v1/schools/{school.id}/pupils/{amy.id}/subject-access"
    items = dsl.get(base).get_json()
    assert [p["key"] for p in items["third_parties"]] == [f"pupil:{ben.id}"]
    out = dsl.post(base + "/export", json={"redact": [f"pupil:{ben.id}"]}).get_json()
    assert out["concerns"][0]["fact"] == "[third party] took Amy's lunch."
    pdf = dsl.post(base + "/export", json={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    bad = dsl.post(base + "/export", json={"redact": ["staff:0"], "format": "doc"})
    assert bad.status_code == 422
    assert caller("headteacher", school).get(base).status_code == 404
    assert caller("dsl", make_school()).get(base).status_code == 404


def test_destroy_through_the_api(caller, make_school, make_pupil, make_concern):
    school = make_school()
    pupil = make_pupil(school)
    concern = make_concern(school, [pupil], fact="Seen crying at the gate.")
    base = f"/api/v1/schools/{school.id}/pupils/{pupil.id}"
    dsl = caller("dsl", school)
    early = dsl.post(base + "/destroy", json={"reason": "Ended"})
    assert early.status_code == 422 and "pupil" in early.get_json()["errors"]["json"]
    pupil.date_of_birth = dt.date(1990, 5, 5)
    assert caller("deputy_dsl", school).post(base + "/destroy",
                                             json={"reason": "Ended"}).status_code == 404
    resp = dsl.post(base + "/destroy", json={"reason": "Ended"})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["summary"]["concerns"] == [concern.id]
    status = dsl.get(base + "/retention").get_json()
    assert status["destructions"][0]["review_date"] == "2015-05-05"
    got = dsl.get(f"/api/v1/schools/{school.id}/concerns/{concern.id}").get_json()
    assert got["fact"] == ""
