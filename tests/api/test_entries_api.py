import datetime as dt

import pytest
from sqlalchemy import func, select

from core.calendar import london_today
from core.models import ConcernEntry


@pytest.fixture
def case(make_school, make_pupil, make_concern):
    school = make_school()
    concern = make_concern(school, [make_pupil(school)])
    return school, concern, f"/api/v1/schools/{school.id}/concerns/{concern.id}"


def test_dsl_triages_sets_an_action_and_closes(caller, case, session):
    school, concern, url = case
    dsl = caller("dsl", school)
    assert dsl.post(f"{url}/entries", json={"kind": "triage", "risk_level": "high"}
                    ).status_code == 201
    due = (london_today() + dt.timedelta(days=7)).isoformat()
    action = dsl.post(f"{url}/entries", json={"kind": "action", "body": "Call home",
                                              "due_date": due})
    assert action.status_code == 201 and action.get_json()["due_date"] == due
    done = dsl.post(f"{url}/entries", json={"kind": "action_done", "body": "Spoke to dad",
                                            "refers_to_id": action.get_json()["id"]})
    assert done.status_code == 201
    assert dsl.post(f"{url}/entries", json={"kind": "closure", "body": "No further action"}
                    ).status_code == 201
    view = dsl.get(url).get_json()
    assert view["status"] == "closed"
    assert [e["kind"] for e in view["entries"]] == ["triage", "action", "action_done", "closure"]


def test_entry_rules_name_the_field(caller, case, session):
    school, concern, url = case
    dsl = caller("deputy_dsl", school)
    r = dsl.post(f"{url}/entries", json={"kind": "action", "body": "Call home"})
    assert r.status_code == 422 and r.get_json()["errors"]["json"] == {
        "due_date": ["an action needs a due date"]}
    r = dsl.post(f"{url}/entries", json={"kind": "referral", "body": "x", "referral_to": "nhs"})
    assert list(r.get_json()["errors"]["json"]) == ["referral_to"]
    r = dsl.post(f"{url}/entries", json={"kind": "rewrite", "body": "x"})
    assert list(r.get_json()["errors"]["json"]) == ["kind"]
    r = dsl.post(f"{url}/entries", json={"kind": "note", "body": "x", "due_date": "tomorrow"})
    assert list(r.get_json()["errors"]["json"]) == ["due_date"]
    assert session.scalar(select(func.count()).select_from(ConcernEntry)) == 0


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_entries_and_concerns_cannot_be_edited_or_deleted(caller, case, session, method):
    school, concern, url = case
    dsl = caller("dsl", school)
    entry_id = dsl.post(f"{url}/entries", json={"kind": "note", "body": "First"}).get_json()["id"]
    for target in (f"{url}/entries", url, f"{url}/entries/{entry_id}"):
        r = dsl.open(target, method, json={"body": "Rewritten"})
        assert r.status_code in (404, 405), target
        assert r.is_json
    assert dsl.open(f"{url}/entries", method, json={}).status_code == 405
    assert "POST" in dsl.open(f"{url}/entries", method).headers.get("Allow", "")
    assert session.get(ConcernEntry, entry_id).body == "First"


def test_only_the_dsl_team_add_entries(caller, case, session):
    school, concern, url = case
    for role, kw in (("staff", {"school": school}), ("headteacher", {"school": school}),
                     ("trust_lead", {"trust": school.trust})):
        r = caller(role, **kw).post(f"{url}/entries", json={"kind": "note", "body": "x"})
        assert r.status_code == 404, role
    assert session.scalar(select(func.count()).select_from(ConcernEntry)) == 0


def test_corrections_are_amendments_and_a_closed_concern_reopens(caller, case):
    school, concern, url = case
    dsl = caller("dsl", school)
    note = dsl.post(f"{url}/entries", json={"kind": "note", "body": "Spoke to mum on Monday"})
    fix = dsl.post(f"{url}/entries", json={"kind": "amendment", "body": "It was Tuesday",
                                           "refers_to_id": note.get_json()["id"]})
    assert fix.status_code == 201 and fix.get_json()["refers_to_id"] == note.get_json()["id"]
    assert dsl.post(f"{url}/entries", json={"kind": "reopened", "body": "x"}).get_json()[
        "errors"]["json"] == {"kind": ["only a closed concern can be reopened"]}
    dsl.post(f"{url}/entries", json={"kind": "closure", "body": "Resolved"})
    assert dsl.post(f"{url}/entries", json={"kind": "reopened", "body": "New information"}
                    ).status_code == 201
    entries = dsl.get(url).get_json()["entries"]
    assert [e["body"] for e in entries[:2]] == ["Spoke to mum on Monday", "It was Tuesday"]
    assert dsl.get(url).get_json()["status"] == "open"
