"""The response deadline: registration on the next school day, from the school's calendar,
over weekends, half-term, INSET days and holidays."""
from __future__ import annotations

import datetime as dt

import pytest

from core.calendar import LONDON, SchoolCalendar, TermSpan
from core.errors import ValidationError
from plugins.encompass.deadlines import (due_after, due_for_school, registration_time,
                                         set_registration_time)

CAL = SchoolCalendar(
    terms=[TermSpan("Autumn 1", dt.date(2026, 9, 2), dt.date(2026, 10, 23)),
           TermSpan("Autumn 2", dt.date(2026, 11, 2), dt.date(2026, 12, 18)),
           TermSpan("Spring 1", dt.date(2027, 1, 5), dt.date(2027, 2, 12))],
    closures={dt.date(2026, 11, 2): "ALL",   # INSET day after half-term
              dt.date(2026, 10, 14): "AM"},  # morning closed, afternoon open
)
REG = dt.time(8, 45)


def london(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


@pytest.mark.parametrize("received,due", [
    # Sunday night: registration on Monday morning
    (london(2026, 10, 4, 22, 0), london(2026, 10, 5, 8, 45)),
    # Monday 07:00, before registration: that same morning
    (london(2026, 10, 5, 7, 0), london(2026, 10, 5, 8, 45)),
    # Monday at registration or after: Tuesday
    (london(2026, 10, 5, 8, 45), london(2026, 10, 6, 8, 45)),
    (london(2026, 10, 5, 9, 30), london(2026, 10, 6, 8, 45)),
    # Friday evening and Saturday morning: Monday
    (london(2026, 10, 9, 17, 0), london(2026, 10, 12, 8, 45)),
    (london(2026, 10, 10, 8, 0), london(2026, 10, 12, 8, 45)),
    # last day before half-term; the Monday after is an INSET day: Tuesday 3 November
    # (the clocks have gone back, so 08:45 is GMT)
    (london(2026, 10, 23, 18, 0), london(2026, 11, 3, 8, 45)),
    # during half-term itself
    (london(2026, 10, 28, 12, 0), london(2026, 11, 3, 8, 45)),
    # the end of the autumn term: after the Christmas holiday (5 January)
    (london(2026, 12, 18, 16, 0), london(2027, 1, 5, 8, 45)),
    # Wednesday 14 October is closed in the morning: no registration that morning, so a
    # notification on Tuesday evening, or early on the closed morning, is due Thursday
    (london(2026, 10, 13, 19, 0), london(2026, 10, 15, 8, 45)),
    (london(2026, 10, 14, 7, 0), london(2026, 10, 15, 8, 45)),
])
def test_due_at_registration_on_the_next_school_day(received, due):
    assert due_after(received.astimezone(dt.timezone.utc), CAL, REG) == due


def test_winter_deadline_is_0845_gmt_and_summer_0845_bst():
    winter = due_after(london(2026, 11, 3, 20, 0), CAL, REG)
    summer = due_after(london(2026, 10, 5, 20, 0), CAL, REG)
    assert winter.astimezone(dt.timezone.utc).time() == dt.time(8, 45)
    assert summer.astimezone(dt.timezone.utc).time() == dt.time(7, 45)


def test_registration_time_is_configurable():
    assert due_after(london(2026, 10, 5, 8, 40), CAL, dt.time(8, 30)) == london(2026, 10, 6, 8, 30)
    assert due_after(london(2026, 10, 5, 8, 40), CAL, dt.time(9, 0)) == london(2026, 10, 5, 9, 0)


def test_without_term_dates_weekdays_stand_in():
    empty = SchoolCalendar(terms=[], closures={})
    assert due_after(london(2026, 10, 10, 10, 0), empty, REG) == london(2026, 10, 12, 8, 45)


def test_school_deadline_uses_the_trusts_registration_time(session, make_school):
    school = make_school()
    assert registration_time(session, school.trust_id) == dt.time(8, 45)
    set_registration_time(session, school.trust_id, "08:30")
    # the fixture's calendar: autumn term from 2 September 2026; Sunday 4 October evening
    assert due_for_school(session, school.id, london(2026, 10, 4, 21, 0)) == \
        london(2026, 10, 5, 8, 30)
    with pytest.raises(ValidationError) as bad:
        set_registration_time(session, school.trust_id, "half past eight")
    assert "registration_time" in bad.value.errors
    with pytest.raises(ValidationError):
        set_registration_time(session, school.trust_id, "13:00")
