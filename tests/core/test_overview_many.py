"""The trust overview asks each plugin once for all its schools (``mat_trust_metrics_many``):
the figures equal those the school-by-school hook gives, a plugin off in a school gives none
there and is not asked about it, a plugin with only the per-school hook is still asked school
by school, and the statements per overview do not grow with the number of schools."""
import datetime as dt

import pytest
from sqlalchemy import event

from core import concerns
from core.calendar import LONDON, london_today
from core.contributions import Metric, MetricDefinition
from core.hookspecs import hookimpl
from core.overview import collect_metrics, trust_overview
from core.plugins import make_host, use_host

START = dt.date(2026, 9, 1)


def _trust(session, host, make_trust, make_school, make_pupil, make_concern, make_user, n,
           seed=11):
    """A trust of ``n`` schools with pupils, concerns (triaged, with actions overdue and done)
    and every plugin's demo data."""
    trust = make_trust()
    schools = [make_school(trust) for _ in range(n)]
    for i, school in enumerate(schools):
        # year groups 3 to 11 (the transfer demo picks pupils of given years)
        kids = [make_pupil(school, year_group=3 + k % 9) for k in range(10 + i)]
        _, dsl = make_user("dsl", school)
        make_user("staff", school)  # the Encompass demo's key adult
        for k, kid in enumerate(kids[:3]):
            c = make_concern(school, [kid])
            if k:
                at = dt.datetime(2026, 9, 20, 10, tzinfo=LONDON)
                concerns.add_entry(session, dsl, school.id, c.id, "triage", risk_level="low",
                                   created_at=at)
                action = concerns.add_entry(session, dsl, school.id, c.id, "action",
                                            body="Call home", due_date=dt.date(2026, 10, 1),
                                            created_at=at + dt.timedelta(minutes=5))
                if k == 2:
                    concerns.add_entry(session, dsl, school.id, c.id, "action_done",
                                       refers_to_id=action.id, body="Done",
                                       created_at=at + dt.timedelta(days=2))
    host.call_global("mat_demo_data", session=session, trust_id=trust.id,
                     school_ids=[s.id for s in schools], seed=seed)
    _, lead = make_user("trust_lead", trust=trust)
    return trust, schools, lead


def _per_school(session, host, school_ids, start, end):
    return {sid: {f"{m.plugin}.{m.key}": m.value for m in host.call_for_school(
        session, sid, "mat_trust_metrics", start=start, end=end)} for sid in school_ids}


def test_trust_wide_figures_equal_the_school_by_school_ones(
        session, host, make_trust, make_school, make_pupil, make_concern, make_user):
    trust, schools, _ = _trust(session, host, make_trust, make_school, make_pupil,
                               make_concern, make_user, 3)
    ids = [s.id for s in schools]
    host.set_enabled(session, ids[2], "attendance", False)
    end = london_today()
    many = collect_metrics(session, host, ids, START, end)
    assert many == _per_school(session, host, ids, START, end)
    assert not [k for k in many[ids[2]] if k.startswith("attendance.")]
    # figures worth comparing: every plugin answered with something other than nothing
    for key in ("core.pupils", "core.open_cases", "core.overdue_actions",
                "attendance.attendance_pct", "encompass.per_100", "training.compliance_pct"):
        assert many[ids[0]][key] not in (None, 0), key
    assert many[ids[0]]["core.overdue_actions"] == 1  # one action overdue, one done
    assert "transition.overdue_now" in many[ids[1]]


class OnlyPerSchool:
    """A plugin with only the per-school hook, that would also answer for other schools."""

    def __init__(self):
        self.asked: list[int] = []

    @hookimpl
    def mat_metric_definitions(self):
        return [MetricDefinition("solo", "n", "Solo")]

    @hookimpl
    def mat_trust_metrics(self, session, school_id, start, end):
        self.asked.append(school_id)
        return [Metric("solo", school_id, "n", 7), Metric("solo", school_id + 1000, "n", 8)]


class Greedy:
    """A plugin with the trust-wide hook that answers about schools it was not asked about."""

    def __init__(self):
        self.asked: list[list[int]] = []

    @hookimpl
    def mat_trust_metrics_many(self, session, school_ids, start, end):
        self.asked.append(list(school_ids))
        return [Metric("greedy", sid, "n", sid) for sid in [*school_ids, 999_999]]


@pytest.fixture
def odd_host():
    solo, greedy = OnlyPerSchool(), Greedy()
    h = make_host(extra=[("solo", solo), ("greedy", greedy)])
    use_host(h)
    yield h, solo, greedy
    use_host(None)


def test_each_plugin_is_asked_only_about_schools_where_it_is_on(session, odd_host, make_trust,
                                                                 make_school):
    h, solo, greedy = odd_host
    trust = make_trust()
    a, b, c = (make_school(trust, plugins=p) for p in (["solo", "greedy"], ["greedy"], []))
    cells = collect_metrics(session, h, [a.id, b.id, c.id], START, dt.date(2026, 12, 18))
    assert solo.asked == [a.id]
    assert greedy.asked == [[a.id, b.id]]
    assert cells[a.id]["solo.n"] == 7 and "solo.n" not in cells[b.id]
    assert (cells[a.id]["greedy.n"], cells[b.id]["greedy.n"]) == (a.id, b.id)
    assert "greedy.n" not in cells[c.id] and 999_999 not in cells
    assert set(cells[c.id]) == {f"core.{k}" for k in (
        "pupils", "concerns_per_100", "awaiting_triage", "open_cases", "overdue_actions")}


def _statements(session, call) -> int:
    seen = []
    bind = session.connection()

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(bind, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(bind, "before_cursor_execute", count)
    return len(seen)


def test_statements_per_overview_do_not_grow_with_the_schools(
        session, host, make_trust, make_school, make_pupil, make_concern, make_user):
    counts = []
    for n in (2, 6):
        trust, _, lead = _trust(session, host, make_trust, make_school, make_pupil,
                                make_concern, make_user, n, seed=n)
        end = london_today()
        trust_overview(session, lead, trust.id, START, end)  # first read creates defaults
        counts.append(_statements(session, lambda: trust_overview(session, lead, trust.id,
                                                                  START, end)))
    assert counts[0] == counts[1]
    assert counts[1] <= 30  # a handful per plugin (was about 27 per school)
