"""School A's people, by token, can neither list, fetch nor change school B's data, and a
school they cannot see looks exactly like a school that does not exist."""
import pytest
from sqlalchemy import func, select

from core import alerts
from core.models import Concern, ConcernEntry, Pupil, PupilFlag


@pytest.fixture
def two_schools(make_school, make_pupil, make_concern, session):
    a = make_school()
    b = make_school(trust=a.trust)
    pupil_b = make_pupil(b)
    concern_b = make_concern(b, [pupil_b])
    alert_b, _ = alerts.raise_alert(session, b.id, "test", "B's alert", "b-1")
    return a, b, pupil_b, concern_b, alert_b


def test_a_dsl_of_school_a_cannot_read_school_b(caller, two_schools):
    a, b, pupil_b, concern_b, alert_b = two_schools
    dsl_a = caller("dsl", a)
    for url in (f"/api/v1/schools/{b.id}/pupils", f"/api/v1/schools/{b.id}/pupils/{pupil_b.id}",
                f"/api/v1/schools/{b.id}/concerns",
                f"/api/v1/schools/{b.id}/concerns/{concern_b.id}",
                f"/api/v1/schools/{b.id}/pupils/{pupil_b.id}/chronology",
                f"/api/v1/schools/{b.id}/pupils/{pupil_b.id}/flags",
                f"/api/v1/schools/{b.id}/alerts", f"/api/v1/schools/{b.id}/categories"):
        assert dsl_a.get(url).status_code == 404, url
    # B's records under A's school id: still nothing
    for url in (f"/api/v1/schools/{a.id}/pupils/{pupil_b.id}",
                f"/api/v1/schools/{a.id}/concerns/{concern_b.id}",
                f"/api/v1/schools/{a.id}/pupils/{pupil_b.id}/chronology"):
        assert dsl_a.get(url).status_code == 404, url
    assert [s["id"] for s in dsl_a.get("/api/v1/schools").get_json()] == [a.id]


def test_a_dsl_of_school_a_cannot_change_school_b(caller, two_schools, session):
    a, b, pupil_b, concern_b, alert_b = two_schools
    dsl_a = caller("dsl", a)
    writes = [
        (f"/api/v1/schools/{b.id}/concerns", {"pupil_ids": [pupil_b.id], "fact": "x",
                                             "occurred_at": "2026-10-01T09:00:00"}),
        (f"/api/v1/schools/{b.id}/concerns/{concern_b.id}/entries", {"kind": "note", "body": "x"}),
        (f"/api/v1/schools/{a.id}/concerns/{concern_b.id}/entries", {"kind": "note", "body": "x"}),
        (f"/api/v1/schools/{b.id}/pupils", {"first_name": "A", "last_name": "B",
                                            "date_of_birth": "2016-01-01", "year_group": 4,
                                            "on_roll_from": "2026-09-01"}),
        (f"/api/v1/schools/{b.id}/pupils/{pupil_b.id}/flags", {"flag": "cin",
                                                               "start_date": "2026-09-01"}),
        (f"/api/v1/schools/{b.id}/alerts/{alert_b.id}/read", None),
    ]
    for url, body in writes:
        assert dsl_a.post(url, json=body).status_code == 404, url
    # naming B's pupil in A's school is a bad field, not a way in
    r = dsl_a.post(f"/api/v1/schools/{a.id}/concerns", json={
        "pupil_ids": [pupil_b.id], "fact": "x", "occurred_at": "2026-10-01T09:00:00"})
    assert r.status_code == 422 and list(r.get_json()["errors"]["json"]) == ["pupil_ids"]
    admin_a = caller("school_admin", a)
    assert admin_a.put(f"/api/v1/schools/{b.id}/plugins/anything",
                       json={"enabled": False}).status_code == 404
    count = lambda m: session.scalar(select(func.count()).select_from(m))  # noqa: E731
    assert (count(Concern), count(ConcernEntry), count(Pupil), count(PupilFlag)) == (1, 0, 1, 0)
    assert session.get(type(alert_b), alert_b.id).read_at is None


def test_a_school_you_cannot_see_looks_like_no_school(caller, two_schools):
    a, b, pupil_b, concern_b, alert_b = two_schools
    dsl_a = caller("dsl", a)
    hidden = dsl_a.get(f"/api/v1/schools/{b.id}/concerns/{concern_b.id}")
    missing = dsl_a.get(f"/api/v1/schools/987654/concerns/{concern_b.id}")
    overflow = dsl_a.get(f"/api/v1/schools/{2**70}/concerns/{concern_b.id}")
    assert hidden.status_code == missing.status_code == overflow.status_code == 404
    assert hidden.get_json() == missing.get_json() == overflow.get_json()
    assert dsl_a.get(f"/api/v1/schools/{a.id}/concerns/{2**64}").status_code == 404


def test_trust_roles_do_not_reach_other_trusts(caller, two_schools, make_school):
    a, b, pupil_b, concern_b, alert_b = two_schools
    elsewhere = make_school()
    lead = caller("trust_lead", trust=elsewhere.trust)
    assert lead.get(f"/api/v1/schools/{b.id}/concerns/{concern_b.id}").status_code == 404
    assert lead.get(f"/api/v1/schools/{b.id}/pupils").status_code == 404
    admin = caller("trust_admin", trust=elsewhere.trust)
    assert admin.get(f"/api/v1/schools/{b.id}/plugins").status_code == 404
    assert caller("trust_lead", trust=a.trust).get(
        f"/api/v1/schools/{b.id}/concerns/{concern_b.id}").status_code == 200
