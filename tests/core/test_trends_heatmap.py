"""Terms for trends (three a year, boundaries from the trust's calendars, Easter where none),
figures per term with the trust median, and concerns by category per 100 pupils."""
from __future__ import annotations

import datetime as dt
import statistics

import pytest
from hypothesis import given, strategies as st
from sqlalchemy import select

from core import concerns, hookimpl
from core.calendar import LONDON, TermSpan
from core.contributions import Metric, MetricDefinition, PluginInfo
from core.errors import NotFound
from core.heatmap import concern_heatmap
from core.models import AuditEntry, ConcernCategory
from core.plugins import make_host, use_host
from core.trends import easter_sunday, recent_terms, terms_between, trust_trend, year_terms


class TermFig:
    """A figure the test can work out: each school's is its position (1, 2, 3 by name order
    given in ``weights``) times the number of days in the period."""

    weights: dict[int, int] = {}

    @hookimpl
    def mat_plugin_info(self):
        return PluginInfo("termfig", "Term figures", "days in the period, weighted")

    @hookimpl
    def mat_metric_definitions(self):
        return [MetricDefinition("termfig", "days", "Days", "")]

    @hookimpl
    def mat_trust_metrics(self, session, school_id, start, end):
        w = self.weights.get(school_id)
        return [] if w is None else [
            Metric("termfig", school_id, "days", w * ((end - start).days + 1))]


@pytest.fixture
def host():
    h = make_host(load_entry_points=False, extra=[("termfig", TermFig())])
    use_host(h)
    yield h
    use_host(None)


@given(st.integers(min_value=1900, max_value=2100))
def test_easter_is_a_sunday_between_22_march_and_25_april(year):
    day = easter_sunday(year)
    assert day.weekday() == 6 and dt.date(year, 3, 22) <= day <= dt.date(year, 4, 25)


def test_easter_on_known_dates():
    assert [easter_sunday(y) for y in (2024, 2025, 2026, 2027)] == [
        dt.date(2024, 3, 31), dt.date(2025, 4, 20), dt.date(2026, 4, 5), dt.date(2027, 3, 28)]


def test_three_terms_from_the_calendars_else_january_and_easter(session, make_school):
    school = make_school()  # calendar: Spring from 5 Jan 2026, Summer from 13 Apr 2026
    ids = [school.id]
    assert year_terms(session, ids, 2025) == [
        TermSpan("Autumn 2025/26", dt.date(2025, 9, 1), dt.date(2026, 1, 4)),
        TermSpan("Spring 2025/26", dt.date(2026, 1, 5), dt.date(2026, 4, 12)),
        TermSpan("Summer 2025/26", dt.date(2026, 4, 13), dt.date(2026, 8, 31))]
    assert year_terms(session, ids, 2024) == [  # no calendar that year
        TermSpan("Autumn 2024/25", dt.date(2024, 9, 1), dt.date(2024, 12, 31)),
        TermSpan("Spring 2024/25", dt.date(2025, 1, 1), dt.date(2025, 4, 19)),
        TermSpan("Summer 2024/25", dt.date(2025, 4, 20), dt.date(2025, 8, 31))]


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)))
def test_recent_terms_are_six_contiguous_ending_today(today):
    terms = recent_terms(None, [], today)
    assert len(terms) == 6 and terms[-1].end == today
    assert terms[-1].start <= today
    for a, b in zip(terms, terms[1:]):
        assert b.start == a.end + dt.timedelta(days=1)


def test_terms_between_years_stop_at_today(session, make_school):
    school = make_school()
    terms = terms_between(session, [school.id], 2025, 2026, dt.date(2026, 10, 1))
    assert [t.name for t in terms] == ["Autumn 2025/26", "Spring 2025/26", "Summer 2025/26",
                                       "Autumn 2026/27"]
    assert terms[-1] == TermSpan("Autumn 2026/27", dt.date(2026, 9, 1), dt.date(2026, 10, 1))


def test_each_terms_figures_and_the_trust_median(session, make_trust, make_school, make_user):
    trust = make_trust()
    a, b, c = (make_school(trust=trust, name=n) for n in ("A school", "B school", "C school"))
    TermFig.weights = {a.id: 1, b.id: 2, c.id: 4}
    _, lead = make_user("trust_lead", trust=trust)
    terms = terms_between(session, [a.id], 2025, 2025, dt.date(2026, 10, 1))
    trend = trust_trend(session, lead, trust.id, terms)
    days = [(t.end - t.start).days + 1 for t in terms]
    assert days == [126, 98, 141]  # 1 Sep-4 Jan, 5 Jan-12 Apr, 13 Apr-31 Aug
    assert trend.values[b.id]["termfig.days"] == [2 * d for d in days]
    assert trend.medians["termfig.days"] == [statistics.median([d, 2 * d, 4 * d]) for d in days]
    reads = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "trust.overview_read", AuditEntry.user_id == lead.user_id)).all()
    assert len(reads) == 3  # one overview read per term, each audited
    TermFig.weights = {a.id: 1}  # a school without a figure is left out of the median
    trend = trust_trend(session, lead, trust.id, terms[:1])
    assert trend.medians["termfig.days"] == [126] and trend.values[b.id]["termfig.days"] == [None]


def test_only_the_trust_lead_reads_trends(session, make_trust, make_school, make_user):
    trust = make_trust()
    school = make_school(trust=trust)
    _, dsl = make_user("dsl", school)
    with pytest.raises(NotFound):
        trust_trend(session, dsl, trust.id, [TermSpan("x", dt.date(2026, 9, 1),
                                                      dt.date(2026, 9, 30))])


def _cat(session, trust, code):
    return session.scalar(select(ConcernCategory).where(ConcernCategory.trust_id == trust.id,
                                                        ConcernCategory.code == code))


def test_concerns_by_category_per_100_pupils(session, make_trust, make_school, make_pupil,
                                             make_user):
    trust = make_trust()
    north, south = make_school(trust=trust, name="North"), make_school(trust=trust, name="South")
    kids = [make_pupil(north) for _ in range(8)]
    south_kids = [make_pupil(south) for _ in range(3)]
    neglect, online = _cat(session, trust, "neglect"), _cat(session, trust, "online_safety")
    assert neglect is not None and online is not None
    _, lead = make_user("trust_lead", trust=trust)
    _, dsl = make_user("dsl", north)

    def concern(school, pupil, when, cats=()):
        return concerns.record_concern(session, None, school.id, pupil_ids=[pupil.id],
                                       fact="Seen.", occurred_at=when, category_ids=list(cats))

    inside = dt.datetime(2026, 10, 5, 10, tzinfo=LONDON)
    concern(north, kids[0], inside, [neglect.id])
    concern(north, kids[1], inside, [neglect.id, online.id])  # counts in both
    later = concern(north, kids[2], inside)  # no category when recorded...
    concerns.add_entry(session, dsl, north.id, later.id, "triage", risk_level="low",
                       category_id=neglect.id)  # ...put in neglect by the DSL's triage
    concern(north, kids[3], dt.datetime(2026, 8, 31, 23, 30, tzinfo=LONDON), [neglect.id])
    concern(south, south_kids[0], inside, [online.id])
    session.flush()
    hm = concern_heatmap(session, lead, trust.id, dt.date(2026, 9, 1), dt.date(2026, 12, 18))
    assert hm.pupils == {north.id: 8, south.id: 3}
    assert hm.count(north.id, neglect.id) == 3  # the one before 1 September is outside
    assert hm.rate(north.id, neglect.id) == round(100 * 3 / 8, 1) == 37.5
    assert hm.count(north.id, online.id) == 1 and hm.count(south.id, neglect.id) == 0
    assert hm.rate(south.id, online.id) == round(100 * 1 / 3, 1)
    assert hm.highest() == 37.5
    assert [c.code for c in hm.categories][:2] and neglect in hm.categories
    assert session.scalars(select(AuditEntry).where(
        AuditEntry.action == "trust.heatmap_read", AuditEntry.user_id == lead.user_id)).one()
    with pytest.raises(NotFound):
        concern_heatmap(session, dsl, trust.id, dt.date(2026, 9, 1), dt.date(2026, 12, 18))
