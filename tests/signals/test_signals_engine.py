"""The rule evaluators, without a database: checked against a brute-force reading of each
rule over generated indicators (Hypothesis), and the alert counter's "new indicator" rule."""
from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from core.calendar import SchoolCalendar, TermSpan
from core.contributions import Indicator
from core.signals.engine import AlertCounter, Firing, all_of, distinct_kinds, sequence
from core.signals.rules import DEFAULT_RULES

D0 = dt.date(2025, 9, 1)
CAL = SchoolCalendar([TermSpan("Autumn", dt.date(2025, 9, 3), dt.date(2025, 12, 19))],
                     {dt.date(2025, 10, 6): "ALL"})  # an INSET Monday
KINDS = ["attendance.falling", "attendance.persistent_absence", "attendance.unexplained_day",
         "encompass.notification", "core.concern", "core.flag_started",
         "core.relative_elsewhere", "transition.no_file"]

indicators = st.lists(st.builds(
    lambda k, d, r: Indicator(1, 1, k, D0 + dt.timedelta(days=d), k.split(".")[0], k, None,
                              str(r)),
    st.sampled_from(KINDS), st.integers(0, 100), st.integers(0, 3)), max_size=12)


@settings(max_examples=300, deadline=None)
@given(indicators, st.integers(20, 100))
def test_different_kinds_matches_a_brute_force_reading(inds, day):
    rule = DEFAULT_RULES["different_kinds"]
    as_of = D0 + dt.timedelta(days=day)
    window = [i for i in inds if 0 <= (as_of - i.date).days < 28
              and i.kind not in rule["exclude"]]
    families = {"attendance" if i.kind.startswith("attendance.") else i.kind for i in window}
    got = distinct_kinds(rule, inds, as_of, CAL)
    assert bool(got) == (len(families) >= 2)
    if got:
        assert sorted(got, key=repr) == sorted(window, key=repr)


@settings(max_examples=300, deadline=None)
@given(indicators, st.integers(20, 100))
def test_police_then_absence_is_the_next_school_day_only(inds, day):
    rule = DEFAULT_RULES["police_then_absence"]
    as_of = D0 + dt.timedelta(days=day)
    got = sequence(rule, inds, as_of, CAL)
    expected = False
    for f in inds:
        if f.kind != "encompass.notification" or f.date > as_of:
            continue
        nxt = f.date + dt.timedelta(days=1)
        while not CAL.is_school_day(nxt):
            nxt += dt.timedelta(days=1)
        expected |= any(t.kind == "attendance.unexplained_day" and t.date == nxt
                        and 0 <= (as_of - t.date).days < 28 for t in inds)
    assert bool(got) == expected


def test_a_notification_on_friday_then_the_inset_monday_counts_tuesday():
    fri = dt.date(2025, 10, 3)
    police = Indicator(1, 1, "encompass.notification", fri, "encompass", "n", None, "1")
    monday = Indicator(1, 1, "attendance.unexplained_day", fri + dt.timedelta(days=3),
                       "attendance", "a", None, "m")
    tuesday = Indicator(1, 1, "attendance.unexplained_day", fri + dt.timedelta(days=4),
                        "attendance", "a", None, "t")
    rule = DEFAULT_RULES["police_then_absence"]
    assert sequence(rule, [police, monday], tuesday.date, CAL) == []
    assert sequence(rule, [police, tuesday], tuesday.date, CAL) == [police, tuesday]


def test_all_of_needs_every_group_in_the_window():
    rule = DEFAULT_RULES["relative_elsewhere_while_falling"]
    falling = Indicator(1, 1, "attendance.falling", D0, "attendance", "f", None, "1")
    rel = Indicator(1, 1, "core.relative_elsewhere", D0 + dt.timedelta(days=27), "core", "r",
                    None, "2")
    assert all_of(rule, [falling, rel], rel.date, CAL) == [falling, rel]
    assert all_of(rule, [falling, rel], rel.date + dt.timedelta(days=1), CAL) == []
    assert all_of(rule, [rel], rel.date, CAL) == []


def test_alert_counter_alerts_again_only_for_a_new_indicator():
    a = Indicator(1, 1, "core.concern", D0, "core", "c", None, "1")
    b = Indicator(1, 1, "encompass.notification", D0, "encompass", "n", None, "2")
    c = Indicator(1, 1, "core.concern", D0 + dt.timedelta(days=3), "core", "c", None, "3")
    counter = AlertCounter()
    assert counter.see(Firing("different_kinds", 1, 1, D0, (a, b)))
    assert not counter.see(Firing("different_kinds", 1, 1, D0, (a, b)))
    assert not counter.see(Firing("different_kinds", 1, 1, D0, (b,)))
    assert counter.see(Firing("different_kinds", 1, 1, D0, (a, b, c)))
    assert counter.see(Firing("police_then_absence", 1, 1, D0, (b,)))  # another pattern
