"""Attendance fixtures: a school with a known calendar and a helper that puts marks in
through the real import path."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from core.upn import make_upn
from plugins.attendance import service

_serial = itertools.count(1)
D = dt.date


@pytest.fixture
def upn():
    return lambda: make_upn("823", "4001", 15, next(_serial))


@pytest.fixture
def put(session):
    """put(school, [(pupil, "2025-09-08", "AM", "/"), ...]): import marks (all must be good)."""
    def _put(school, rows):
        out = service.import_pupil_marks(session, school.id, (
            (p.id, d if isinstance(d, str) else d.isoformat(), s, c) for p, d, s, c in rows))
        assert out.ok, out.errors.items
        return out
    return _put


@pytest.fixture
def days(put):
    """days(school, pupil, [dates], code): both sessions of each day with ``code`` (the PM
    present mark is the backslash)."""
    def _days(school, pupil, dates, code="/"):
        rows = []
        for d in dates:
            rows.append((pupil, d, "AM", code))
            rows.append((pupil, d, "PM", "\\" if code == "/" else code))
        return put(school, rows)
    return _days


def weekdays(start: dt.date, n: int) -> list[dt.date]:
    """``n`` weekdays from ``start`` (test terms have no closures in September)."""
    out, d = [], start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def stored_marks(session, pupil_id: int | None = None, school_id: int | None = None):
    """Every stored mark of a pupil (or school) as (date, session, code), in order, read from
    the week rows by slicing their fourteen two-character sessions here (not with the
    plugin's own decoder)."""
    from sqlalchemy import select

    from plugins.attendance.models import AttendanceWeek

    stmt = select(AttendanceWeek.week_start, AttendanceWeek.marks)
    if pupil_id is not None:
        stmt = stmt.where(AttendanceWeek.pupil_id == pupil_id)
    if school_id is not None:
        stmt = stmt.where(AttendanceWeek.school_id == school_id)
    out = []
    for week, marks in session.execute(stmt.order_by(AttendanceWeek.pupil_id,
                                                     AttendanceWeek.week_start)):
        assert len(marks) == 28
        for k in range(14):
            code = marks[2 * k:2 * k + 2].strip()
            if code:
                out.append((week + dt.timedelta(days=k // 2), ("AM", "PM")[k % 2], code))
    return out
