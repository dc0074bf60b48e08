"""The database itself keeps every stored register week at its pupil's school (the triggers
of migration att0002, which stand in for a composite foreign key): on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from core.models import Pupil
from plugins.attendance.models import AttendanceWeek

MON = dt.date(2025, 9, 8)


def _mark(pupil, school, week=MON):
    return {"school_id": school.id, "trust_id": school.trust_id, "pupil_id": pupil.id,
            "week_start": week, "marks": "/ " + " " * 26, "possible": 1, "present": 1,
            "aea": 0, "authorised": 0, "unauthorised": 0, "late_before": 0, "late_after": 0,
            "not_possible": 0}


def test_a_mark_for_a_pupil_at_another_school_is_refused(session, make_trust, make_school,
                                                         make_pupil):
    trust = make_trust()
    ours, theirs = make_school(trust=trust), make_school(trust=trust)
    stranger = make_pupil(theirs)
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.execute(insert(AttendanceWeek), [_mark(stranger, ours)])
    # one bad mark among good ones: the whole statement is refused
    own = make_pupil(ours)
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            good, bad = _mark(own, ours), _mark(stranger, ours, week=MON + dt.timedelta(weeks=1))
            rows = select(*map(literal, good.values())).union_all(
                select(*map(literal, bad.values())))
            session.execute(insert(AttendanceWeek).from_select(list(good), rows))
    assert session.scalar(select(func.count()).select_from(AttendanceWeek).where(
        AttendanceWeek.school_id == ours.id)) == 0
    with session.begin_nested():
        session.execute(insert(AttendanceWeek), [_mark(own, ours)])
    assert session.scalar(select(func.count()).select_from(AttendanceWeek).where(
        AttendanceWeek.school_id == ours.id)) == 1


def test_a_mark_cannot_be_moved_to_another_school(session, make_trust, make_school,
                                                  make_pupil):
    trust = make_trust()
    ours, theirs = make_school(trust=trust), make_school(trust=trust)
    own = make_pupil(ours)
    session.execute(insert(AttendanceWeek), [_mark(own, ours)])
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.execute(update(AttendanceWeek).where(AttendanceWeek.pupil_id == own.id)
                            .values(school_id=theirs.id))


def test_a_pupil_with_marks_can_neither_leave_the_school_nor_be_deleted(
        session, make_trust, make_school, make_pupil):
    trust = make_trust()
    ours, theirs = make_school(trust=trust), make_school(trust=trust)
    marked, unmarked = make_pupil(ours), make_pupil(ours)
    session.execute(insert(AttendanceWeek), [_mark(marked, ours)])
    session.expunge_all()
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.execute(update(Pupil).where(Pupil.id == marked.id)
                            .values(school_id=theirs.id))
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.execute(delete(Pupil).where(Pupil.id == marked.id))
    # other changes to the pupil, and a pupil without marks, are not held back
    session.execute(update(Pupil).where(Pupil.id == marked.id).values(first_name="Renamed"))
    session.execute(update(Pupil).where(Pupil.id == unmarked.id).values(school_id=theirs.id))
    assert session.scalar(select(Pupil.school_id).where(Pupil.id == unmarked.id)) == theirs.id
    assert session.scalar(select(Pupil.first_name).where(Pupil.id == marked.id)) == "Renamed"

