"""KCSIE deadlines, counted in the sending school's calendar.

Keeping Children Safe in Education asks for the file within 5 days of an in-year transfer, or
within the first 5 days of the start of a new term, and does not say which days. The
platform's reading, and the default, is school days: the fifth school day after the leaving
date, skipping weekends, half-terms, holidays and closures, which for a pupil leaving at the
end of a term (or in a holiday) is the fifth school day of the next. A trust may count
calendar days instead (``core.schools.deadline_day_count``): 5 days after the leaving date, or
the fifth day from the start of the new term. The rule's name is kept for display. A school
without terms that far ahead falls back to weekdays, marked as such.
"""
from __future__ import annotations

import datetime as dt

from core.calendar import SchoolCalendar

DAYS = 5
DUE_SOON = 2  # school days before the deadline when the reminder goes


def _weekdays_after(day: dt.date, n: int) -> dt.date:
    d = day
    while n:
        d += dt.timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def due_date(cal: SchoolCalendar, leaving: dt.date, count: str = "school"
             ) -> tuple[dt.date, str]:
    """The deadline and which rule set it: ``in_year``, ``new_term`` (school days),
    ``in_year_days``, ``new_term_days`` (``count="calendar"``) or ``no_calendar``."""
    nxt = cal.next_school_day(leaving)
    due = cal.add_school_days(leaving, DAYS)
    if nxt is None or due is None:
        return _weekdays_after(leaving, DAYS), "no_calendar"
    term_now = cal.term_of(leaving)
    in_year = term_now is not None and cal.term_of(nxt) == term_now
    if count == "calendar":
        if in_year:
            return leaving + dt.timedelta(days=DAYS), "in_year_days"
        return cal.term_of(nxt).start + dt.timedelta(days=DAYS - 1), "new_term_days"
    return due, "in_year" if in_year else "new_term"


def school_days_left(cal: SchoolCalendar, today: dt.date, due: dt.date) -> int:
    """School days from today to the deadline (0 on the day; negative once past)."""
    if due >= today:
        return cal.school_days_between(today, due)
    return -max(1, cal.school_days_between(due, today))


def timing(cal: SchoolCalendar, today: dt.date, due: dt.date | None) -> str:
    """``overdue``, ``due_soon`` or ``on_track`` for an unfinished transfer."""
    if due is None:
        return "on_track"
    if today > due:
        return "overdue"
    if school_days_left(cal, today, due) <= DUE_SOON:
        return "due_soon"
    return "on_track"


RULE_LABELS = {
    "in_year": "in-year transfer: 5 school days",
    "new_term": "first 5 school days of the new term",
    "in_year_days": "in-year transfer: 5 days",
    "new_term_days": "first 5 days of the new term",
    "no_calendar": "5 weekdays (the school calendar does not reach that far: add terms)",
}
