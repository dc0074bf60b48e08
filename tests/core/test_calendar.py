import datetime as dt

from hypothesis import given, strategies as st

from core.calendar import (SchoolCalendar, TermSpan, academic_year_label, academic_year_start,
                           england_terms)

CAL = SchoolCalendar(
    terms=[TermSpan("Autumn 2", dt.date(2026, 11, 2), dt.date(2026, 12, 18)),
           TermSpan("Spring 1", dt.date(2027, 1, 4), dt.date(2027, 2, 12))],
    closures={dt.date(2026, 11, 6): "ALL", dt.date(2026, 11, 13): "PM"},
)


def test_academic_year_turns_on_1_september():
    assert academic_year_start(dt.date(2026, 8, 31)) == 2025
    assert academic_year_start(dt.date(2026, 9, 1)) == 2026
    assert academic_year_label(dt.date(2027, 3, 1)) == "2026/27"


def test_sessions_respect_weekends_closures_and_half_days():
    assert CAL.sessions_on(dt.date(2026, 11, 2)) == ("AM", "PM")   # Monday
    assert CAL.sessions_on(dt.date(2026, 11, 7)) == ()             # Saturday
    assert CAL.sessions_on(dt.date(2026, 11, 6)) == ()             # INSET
    assert CAL.sessions_on(dt.date(2026, 11, 13)) == ("AM",)       # afternoon closure
    assert CAL.sessions_on(dt.date(2026, 12, 21)) == ()            # holiday
    # week of 2-6 Nov: 4 days x 2, week of 9-13 Nov: 4 x 2 + 1
    assert CAL.possible_sessions(dt.date(2026, 11, 2), dt.date(2026, 11, 13)) == 17


def test_next_school_day_skips_the_christmas_holiday():
    assert CAL.next_school_day(dt.date(2026, 12, 18)) == dt.date(2027, 1, 4)
    # 17 and 18 Dec, then 4, 5 and 6 Jan
    assert CAL.add_school_days(dt.date(2026, 12, 16), 5) == dt.date(2027, 1, 6)
    assert CAL.school_days_between(dt.date(2026, 12, 16), dt.date(2027, 1, 6)) == 5


@given(st.integers(2000, 2090))
def test_default_terms_are_ordered_weekday_spans_within_the_year(year):
    terms = england_terms(year)
    assert len(terms) == 6
    for a, b in zip(terms, terms[1:]):
        assert a.end < b.start
    for t in terms:
        assert t.start <= t.end and t.start.weekday() < 5 and t.end.weekday() < 5
    assert terms[0].start >= dt.date(year, 9, 1) and terms[-1].end <= dt.date(year + 1, 8, 31)
