from sqlalchemy import select

from core.models import AuditEntry


def _world(make_school, make_pupil, make_concern):
    a = make_school(name="Alder Primary")
    b = make_school(trust=a.trust, name="Birch Academy")
    a_pupils = [make_pupil(a) for _ in range(4)]
    make_pupil(b), make_pupil(b)
    make_concern(a, a_pupils[:1])  # recorded now: inside this school year to date
    return a, b


def test_trust_lead_sees_one_row_per_school_with_core_figures(caller, make_school, make_pupil,
                                                              make_concern, session):
    a, b = _world(make_school, make_pupil, make_concern)
    lead = caller("trust_lead", trust=a.trust)
    r = lead.get("/api/v1/trust/overview")
    assert r.status_code == 200
    body = r.get_json()
    assert body["trust_id"] == a.trust_id and body["start"].endswith("-09-01")
    keys = {c["key"] for c in body["columns"]}
    assert {"core.pupils", "core.concerns_per_100", "core.open_cases",
            "core.overdue_actions", "core.awaiting_triage"} <= keys
    rows = {s["name"]: s["values"] for s in body["schools"]}
    assert list(rows) == ["Alder Primary", "Birch Academy"]
    # 1 concern among 4 pupils is 25 per 100; none among 2 is 0
    assert (rows["Alder Primary"]["core.pupils"], rows["Alder Primary"]["core.concerns_per_100"],
            rows["Alder Primary"]["core.awaiting_triage"]) == (4, 25.0, 1)
    assert (rows["Birch Academy"]["core.pupils"],
            rows["Birch Academy"]["core.concerns_per_100"]) == (2, 0.0)
    assert session.scalars(select(AuditEntry.trust_id).where(
        AuditEntry.action == "trust.overview_read")).all() == [a.trust_id]


def test_the_period_is_applied_and_checked(caller, make_school, make_pupil, make_concern):
    a, b = _world(make_school, make_pupil, make_concern)
    lead = caller("trust_lead", trust=a.trust)
    september = lead.get("/api/v1/trust/overview",
                         query_string={"start": "2026-09-01", "end": "2026-09-30"}).get_json()
    assert (september["start"], september["end"]) == ("2026-09-01", "2026-09-30")
    assert september["schools"][0]["values"]["core.concerns_per_100"] == 0.0
    bad = lead.get("/api/v1/trust/overview", query_string={"start": "2026-10-01",
                                                           "end": "2026-09-01"})
    assert bad.status_code == 422 and bad.get_json()["errors"]["query"] == {
        "end": ["must not be before start"]}
    bad = lead.get("/api/v1/trust/overview", query_string={"start": "last week"})
    assert bad.status_code == 422 and list(bad.get_json()["errors"]["query"]) == ["start"]


def test_only_the_trust_lead_of_that_trust(caller, make_school, make_pupil, make_concern,
                                           make_trust):
    a, b = _world(make_school, make_pupil, make_concern)
    for role in ("dsl", "headteacher", "school_admin"):
        assert caller(role, a).get("/api/v1/trust/overview").status_code == 404
    assert caller("trust_admin", trust=a.trust).get("/api/v1/trust/overview").status_code == 404
    outsider = caller("trust_lead", trust=make_trust())
    assert outsider.get("/api/v1/trust/overview").get_json()["schools"] == []
    r = outsider.get("/api/v1/trust/overview", query_string={"trust_id": a.trust_id})
    assert r.status_code == 404
