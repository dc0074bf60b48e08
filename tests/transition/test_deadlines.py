"""KCSIE deadlines counted in the sending school's school days: across weekends, half-term,
closures and the end of term; in the sender's calendar, not the receiver's."""
import datetime as dt

import pytest
from tests.transition.conftest import acting
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core import pupils, schools
from core.calendar import SchoolCalendar, TermSpan
from plugins.transition import deadlines
from plugins.transition.models import Transfer

D = dt.date
TERMS = [TermSpan("Autumn 1", D(2026, 9, 2), D(2026, 10, 23)),
         TermSpan("Autumn 2", D(2026, 11, 2), D(2026, 12, 18)),
         TermSpan("Spring 1", D(2027, 1, 4), D(2027, 2, 12))]
CLOSURES = {D(2026, 11, 2): "ALL",   # INSET day after half-term
            D(2026, 10, 7): "AM"}    # half-day closure: still a school day
CAL = SchoolCalendar(TERMS, CLOSURES)


@pytest.mark.parametrize("leaving, due, rule", [
    # Thu 1 Oct: Fri 2, Mon 5, Tue 6, Wed 7 (PM only, still a school day), Thu 8
    (D(2026, 10, 1), D(2026, 10, 8), "in_year"),
    # Tue 20 Oct: Wed 21, Thu 22, Fri 23, half-term, INSET Mon 2 Nov, Tue 3, Wed 4
    (D(2026, 10, 20), D(2026, 11, 4), "in_year"),
    # Saturday inside a term: Mon 5 to Fri 9 Oct
    (D(2026, 10, 3), D(2026, 10, 9), "in_year"),
    # last day of the autumn term: the first 5 school days of the spring term
    (D(2026, 12, 18), D(2027, 1, 8), "new_term"),
    # left during the Christmas holiday: the same
    (D(2026, 12, 23), D(2027, 1, 8), "new_term"),
    # left in half-term: the first 5 school days after it (INSET skipped)
    (D(2026, 10, 28), D(2026, 11, 9), "new_term"),
])
def test_due_dates_by_hand(leaving, due, rule):
    assert deadlines.due_date(CAL, leaving) == (due, rule)


def test_without_terms_far_enough_it_falls_back_to_weekdays():
    # Fri 12 Feb is the last day of the calendar; Mon 15 to Fri 19 Feb are weekdays
    assert deadlines.due_date(CAL, D(2027, 2, 12)) == (D(2027, 2, 19), "no_calendar")


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=D(2026, 9, 1), max_value=D(2027, 1, 31)))
def test_due_date_is_the_fifth_school_day_after_leaving(leaving):
    due, rule = deadlines.due_date(CAL, leaving)
    assert rule in ("in_year", "new_term")
    assert CAL.is_school_day(due) and due > leaving
    days = [leaving + dt.timedelta(n) for n in range(1, (due - leaving).days + 1)]
    assert sum(1 for d in days if d.weekday() < 5 and CAL.term_of(d) is not None
               and CLOSURES.get(d) != "ALL") == 5


def test_timing_marks_due_soon_and_overdue():
    due = D(2026, 11, 4)
    assert deadlines.timing(CAL, D(2026, 10, 21), due) == "on_track"  # Thu 22, Fri 23, Tue 3, Wed 4
    assert deadlines.timing(CAL, D(2026, 10, 22), due) == "on_track"  # Fri 23, Tue 3, Wed 4
    assert deadlines.timing(CAL, D(2026, 10, 23), due) == "due_soon"  # Tue 3, Wed 4
    assert deadlines.timing(CAL, due, due) == "due_soon"
    assert deadlines.timing(CAL, D(2026, 11, 5), due) == "overdue"


def test_counted_in_the_sending_schools_calendar(db, session, make_trust, make_school,
                                                  make_user, make_pupil):
    trust = make_trust()
    sender = make_school(trust=trust, terms=False)
    schools.set_terms(session, sender.id, TERMS)
    schools.add_closure(session, sender.id, D(2026, 11, 2), "INSET day")
    receiver = make_school(trust=trust)  # no half-term in its calendar
    _, dsl = make_user("dsl", school=sender)
    p = make_pupil(sender)
    session.flush()
    with acting(db, dsl) as s:
        pupils.mark_left(s, dsl, sender.id, p.id, D(2026, 10, 20), "Moved", receiver.urn)
        t = s.scalar(select(Transfer).where(Transfer.pupil_id == p.id))
        # the receiver's calendar would have said Tue 27 Oct
        assert (t.due_date, t.due_rule) == (D(2026, 11, 4), "in_year")


# --- school days (the platform's reading) or calendar days (a trust's choice) -----------------

@pytest.mark.parametrize("leaving, school, calendar", [
    # in-year, Thu 1 Oct: the fifth school day is Thu 8 Oct; 5 days on is Tue 6 Oct
    (D(2026, 10, 1), (D(2026, 10, 8), "in_year"), (D(2026, 10, 6), "in_year_days")),
    # last day of the autumn term: spring starts Mon 4 Jan; its fifth day is Fri 8 Jan either
    # way (no weekend or closure in its first week)
    (D(2026, 12, 18), (D(2027, 1, 8), "new_term"), (D(2027, 1, 8), "new_term_days")),
    # in half-term: Autumn 2 starts with an INSET day (Mon 2 Nov), which school days skip
    # and calendar days count
    (D(2026, 10, 28), (D(2026, 11, 9), "new_term"), (D(2026, 11, 6), "new_term_days")),
])
def test_school_days_or_calendar_days(leaving, school, calendar):
    assert deadlines.due_date(CAL, leaving) == school
    assert deadlines.due_date(CAL, leaving, "school") == school
    assert deadlines.due_date(CAL, leaving, "calendar") == calendar


def test_calendar_days_still_need_the_next_term_entered():
    assert deadlines.due_date(CAL, D(2027, 2, 12), "calendar") == (D(2027, 2, 19), "no_calendar")


def test_the_trusts_choice_sets_a_new_transfers_deadline(session, make_trust, make_school,
                                                         make_pupil):
    from core.errors import ValidationError
    from core.models import AuditEntry
    from plugins.transition.transfers import open_transfer

    trust = make_trust()
    sender = make_school(trust=trust, terms=False)
    schools.set_terms(session, sender.id, TERMS)
    receiver = make_school(trust=trust)
    assert schools.deadline_day_count(session, trust.id) == "school"
    first = open_transfer(session, sender.id, make_pupil(sender).id, receiver.urn, D(2026, 10, 1))
    assert (first.due_date, first.due_rule) == (D(2026, 10, 8), "in_year")
    with pytest.raises(ValidationError) as bad:
        schools.set_deadline_day_count(session, trust.id, "weeks")
    assert "deadline_days" in bad.value.errors
    schools.set_deadline_day_count(session, trust.id, "calendar")
    assert session.scalar(select(AuditEntry.detail).where(
        AuditEntry.action == "trust.setting_changed").order_by(AuditEntry.id.desc()).limit(1)
    ) == {"count": "calendar"}
    second = open_transfer(session, sender.id, make_pupil(sender).id, receiver.urn,
                           D(2026, 10, 1))
    assert (second.due_date, second.due_rule) == (D(2026, 10, 6), "in_year_days")
    session.refresh(first)
    assert (first.due_date, first.due_rule) == (D(2026, 10, 8), "in_year")  # kept
