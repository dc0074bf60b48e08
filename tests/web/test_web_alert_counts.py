"""A standing alert raised again shows how many times, on the dashboard and the alerts page;
an alert raised once shows no count."""
from __future__ import annotations

from core import alerts


def test_a_standing_alert_shows_its_count_where_alerts_are_listed(client, as_role, world,
                                                                  session):
    sid, pid = world.school.id, world.pupil.id
    for n in (3, 4, 5):
        alerts.raise_standing_alert(session, sid, "concern_accumulation",
                                    f"{n} concerns in the last 30 days", f"accumulation:{pid}",
                                    pupil_id=pid)
    alerts.raise_alert(session, sid, "pattern", "Absent every Monday", "count-once")
    as_role("dsl")
    for url in (f"/schools/{sid}/dashboard", f"/schools/{sid}/alerts"):
        body = client.get(url).get_data(as_text=True)
        assert "5 concerns in the last 30 days</a> <span class=\"badge\">raised 3 times" in body
        assert "3 concerns in the last 30 days" not in body
        assert "Absent every Monday</a> <span class=\"badge\">raised" not in body
