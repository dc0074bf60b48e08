"""The alerts API gives a standing alert's count and when it was last raised."""
from __future__ import annotations

from core import alerts


def test_the_api_gives_count_and_last_raised_at(caller, make_school, make_pupil, session):
    school = make_school()
    pupil = make_pupil(school)
    standing, _ = alerts.raise_standing_alert(session, school.id, "rule", "First",
                                              f"rule:{pupil.id}", pupil_id=pupil.id)
    alerts.raise_standing_alert(session, school.id, "rule", "Second", f"rule:{pupil.id}",
                                pupil_id=pupil.id)
    event, _ = alerts.raise_alert(session, school.id, "event", "Once", "event-1")
    rows = caller("dsl", school).get(f"/api/v1/schools/{school.id}/alerts").get_json()
    got = {a["id"]: (a["message"], a["count"]) for a in rows}
    assert got == {standing.id: ("Second", 2), event.id: ("Once", 1)}
    assert all(a["last_raised_at"] >= a["created_at"] for a in rows)
