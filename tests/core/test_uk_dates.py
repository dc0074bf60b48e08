"""One UK way of writing dates and times, in Europe/London, for pages, the PDF and plugins."""
import datetime as dt

from core.calendar import LONDON, uk_age, uk_date, uk_datetime, uk_moment

UTC = dt.timezone.utc


def test_dates_are_written_day_month_year_without_a_leading_zero():
    assert uk_date(dt.date(2026, 3, 3)) == "3 March 2026"
    assert uk_date(dt.date(2026, 3, 3), weekday=True) == "Tuesday 3 March 2026"
    assert uk_date(dt.date(2026, 11, 16), year=False) == "16 November"
    assert uk_date(None) == uk_datetime(None) == uk_moment(None) == ""


def test_times_are_london_time_in_summer_and_winter():
    assert uk_datetime(dt.datetime(2026, 6, 15, 13, 0, tzinfo=UTC)) == "15 June 2026, 14:00"
    assert uk_datetime(dt.datetime(2026, 12, 15, 13, 0, tzinfo=UTC)) == "15 December 2026, 13:00"
    # the platform stores UTC: a moment without an offset is UTC, not London
    assert uk_datetime(dt.datetime(2026, 6, 15, 13, 0)) == "15 June 2026, 14:00"
    # late evening UTC in summer is already the next day in London
    assert uk_date(dt.datetime(2026, 6, 15, 23, 30, tzinfo=UTC)) == "16 June 2026"


def test_a_day_level_event_shows_no_time():
    assert uk_moment(dt.datetime(2026, 9, 1, 0, 0, tzinfo=LONDON)) == "1 September 2026"
    assert uk_moment(dt.datetime(2026, 9, 1, 8, 5, tzinfo=LONDON)) == "1 September 2026, 08:05"


def test_age_in_london_days():
    now = dt.datetime(2026, 6, 15, 23, 30, tzinfo=UTC)  # 16 June in London
    assert uk_age(dt.datetime(2026, 6, 15, 23, 10, tzinfo=UTC), now) == "today"
    assert uk_age(dt.date(2026, 6, 15), now) == "yesterday"
    assert uk_age(dt.date(2026, 6, 11), now) == "5 days ago"
    assert uk_age(dt.date(2026, 5, 19), now) == "4 weeks ago"
