"""The trust overview: one row per school with the core's figures (worked out by hand), a chart,
England's figure where a column has one, and the period picker."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.models import AuditEntry
from web.views.overview import term_period


def _cells(body: str, school_name: str) -> list[str]:
    """The figures of a school's row (or the England row) as shown, without the comparisons
    printed beneath each."""
    import re
    row = re.search(rf'<th scope="row" class="sticky">(?:<a [^>]*>)?{school_name}(?:</a>)?'
                    rf'</th>(.*?)</tr>', body, re.S).group(1)
    cells = re.findall(r'<td class="num[^"]*"[^>]*>(.*?)</td>', row, re.S)
    return [re.sub(r"<.*?>", "", (re.search(r'<span class="fig">(.*?)</span>', c) or
                                  re.search(r"(.*)", c, re.S)).group(1)).strip() for c in cells]


def test_one_row_per_school_with_the_core_figures(client, as_role, world, session):
    user, _ = as_role("trust_lead")
    today = dt.date.today()
    resp = client.get(f"/trust/overview?period=custom&start={today - dt.timedelta(days=7)}"
                      f"&end={today}")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    heads = ["Pupils on roll", "Concerns per 100 pupils", "Awaiting triage", "Open cases",
             "Overdue actions"]
    assert all(h in body for h in heads)
    # Northfield: 1 pupil, 1 concern recorded today, awaiting triage -> 100 per 100 pupils
    # (the last column is the throwaway plugin's: 40% everywhere it is on)
    assert _cells(body, "Northfield Primary") == ["1", "100", "1", "1", "0", "40%"]
    assert _cells(body, "Riverside Secondary") == ["1", "0", "0", "0", "0", "40%"]
    assert '<svg class="chart"' in body and "Concerns per 100 pupils by school" in body
    assert session.scalars(select(AuditEntry).where(
        AuditEntry.action == "trust.overview_read", AuditEntry.user_id == user.id)).first()


def test_a_chosen_column_is_charted(client, as_role, world):
    as_role("trust_lead")
    body = client.get("/trust/overview?period=year&chart=core.awaiting_triage") \
        .get_data(as_text=True)
    assert "Awaiting triage by school" in body
    assert "Northfield Primary: 1; Riverside Secondary: 0" in body  # the chart's description


def test_custom_dates_are_checked(client, as_role, world):
    as_role("trust_lead")
    resp = client.get("/trust/overview?period=custom&start=2026-10-31&end=2026-10-01")
    assert resp.status_code == 422
    assert "Must be on or after the start date" in resp.get_data(as_text=True)
    resp = client.get("/trust/overview?period=custom&start=&end=2026-10-01")
    assert "Is required (a date)" in resp.get_data(as_text=True)


def test_the_term_comes_from_the_school_calendar(session, world):
    # make_school's calendar: Autumn 2025 3 Sep-19 Dec, Spring 2026 5 Jan-27 Mar, ...,
    # Autumn 2026 2 Sep-18 Dec
    ids = [world.school.id]
    assert term_period(session, ids, dt.date(2026, 10, 1)) == (
        dt.date(2026, 9, 2), dt.date(2026, 12, 18), "Autumn")
    # in the Christmas holiday: the term just ended
    assert term_period(session, ids, dt.date(2026, 1, 2)) == (
        dt.date(2025, 9, 3), dt.date(2025, 12, 19), "Autumn")


def test_the_term_falls_back_to_the_academic_year(session, make_school):
    school = make_school(terms=False)
    assert term_period(session, [school.id], dt.date(2026, 10, 1)) == (
        dt.date(2026, 9, 1), dt.date(2026, 10, 1), "academic year so far")


def test_only_the_trust_lead_of_this_trust(client, as_role, world, login_as, make_trust):
    for role in ("dsl", "headteacher", "trust_admin"):
        as_role(role)
        assert client.get("/trust/overview").status_code == 404
    login_as("trust_lead", trust=make_trust())
    assert client.get(f"/trust/overview?trust={world.trust.id}").status_code == 404


def test_plugin_columns_follow_the_cores_with_englands_figure(client, as_role, world, session,
                                                              host):
    host.set_enabled(session, world.other.id, "tinyweb", False)
    as_role("trust_lead")
    body = client.get("/trust/overview?period=year").get_data(as_text=True)
    assert body.index("Pupils on roll") < body.index("Overdue actions") < body.index("Tiny visits")
    assert _cells(body, "Northfield Primary")[-1] == "40%"
    assert _cells(body, "Riverside Secondary")[-1] == "–"  # switched off there: no figure
    assert _cells(body, "England")[-1] == "12.5%"
    chart = client.get("/trust/overview?period=year&chart=tinyweb.visits").get_data(as_text=True)
    assert "Tiny visits by school" in chart and "Dashed red line: England, 12.5%" in chart
