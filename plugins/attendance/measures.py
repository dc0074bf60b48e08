"""Attendance measures over any date range, read from the stored weeks' counts.

Whole weeks inside the range are sums of ``attendance_weeks`` counts; only the part-weeks at
either end (one stored week each) are counted from their marks, so a year's figures never
count a year of marks. Both only count days a pupil was on roll.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.models import Pupil, PupilFlag

from plugins.attendance.models import AttendanceWeek
from plugins.attendance.weeks import COUNT_FIELDS, NEVER, counts, numbers_of

PERSISTENT = 0.10  # DfE: missing 10% or more of possible sessions
SEVERE = 0.50  # DfE: missing 50% or more
GROUPS = {  # vulnerable groups: a pupil is in one if any of its flags was active in the range
    "cp_plan": ("Child protection plan", ("cp_plan",)),
    "cin": ("Child in need", ("cin",)),
    "looked_after": ("Looked after", ("looked_after",)),
    "sen": ("SEN (support or EHC plan)", ("sen_support", "ehcp")),
    "pupil_premium": ("Pupil premium", ("pupil_premium",)),
}


@dataclass
class Counts:
    possible: int = 0
    present: int = 0
    aea: int = 0
    authorised: int = 0
    unauthorised: int = 0
    late_before: int = 0
    late_after: int = 0
    not_possible: int = 0

    def add(self, other: "Counts") -> "Counts":
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    @property
    def attended(self) -> int:
        return self.present + self.aea

    @property
    def absent(self) -> int:
        return self.authorised + self.unauthorised

    def pct(self, n: int) -> float | None:
        return round(100 * n / self.possible, 1) if self.possible else None

    @property
    def attendance_pct(self) -> float | None:
        return self.pct(self.attended)

    @property
    def persistent(self) -> bool:
        return bool(self.possible) and self.absent >= PERSISTENT * self.possible

    @property
    def severe(self) -> bool:
        return bool(self.possible) and self.absent >= SEVERE * self.possible

    def as_dict(self) -> dict:
        return {**asdict(self), "attendance_pct": self.attendance_pct,
                "absence_pct": self.pct(self.absent),
                "authorised_pct": self.pct(self.authorised),
                "unauthorised_pct": self.pct(self.unauthorised),
                "persistent_absence": self.persistent, "severe_absence": self.severe}


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def whole_weeks(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date] | None:
    """The Mondays of the first and last whole weeks inside [start, end], if any."""
    first = start if start.weekday() == 0 else _monday(start) + dt.timedelta(days=7)
    last = _monday(end) if end.weekday() == 6 else _monday(end) - dt.timedelta(days=7)
    return (first, last) if first <= last else None


def pupil_counts(session: Session, school_id: int, start: dt.date, end: dt.date,
                 pupil_id: int | None = None) -> dict[int, Counts]:
    """Each pupil's counts over [start, end] (only pupils with marks in the range)."""
    sums: dict[int, list[int]] = {}

    def take(rows):
        for pid, *values in rows:
            acc = sums.get(pid)
            if acc is None:
                sums[pid] = [int(v or 0) for v in values]
            else:
                for i, v in enumerate(values):
                    acc[i] += int(v or 0)

    weeks = whole_weeks(start, end)
    edges = [(start, end)] if weeks is None else [
        (start, weeks[0] - dt.timedelta(days=1)), (weeks[1] + dt.timedelta(days=7), end)]
    if weeks is not None:
        cols = [getattr(AttendanceWeek, f.name) for f in fields(Counts)]
        stmt = (select(AttendanceWeek.pupil_id, *[func.sum(c) for c in cols])
                .where(AttendanceWeek.school_id == school_id,
                       AttendanceWeek.week_start >= weeks[0],
                       AttendanceWeek.week_start <= weeks[1])
                .group_by(AttendanceWeek.pupil_id))
        if pupil_id is not None:
            stmt = stmt.where(AttendanceWeek.pupil_id == pupil_id)
        take(session.execute(stmt))
    for a, b in edges:
        while a <= b:  # a part-range spans at most two weeks: one stored week at a time
            week_end = min(b, _monday(a) + dt.timedelta(days=6))
            take(_part_week(session, school_id, a, week_end, pupil_id))
            a = week_end + dt.timedelta(days=1)
    return {pid: Counts(*values) for pid, values in sums.items()}


def _part_week(session: Session, school_id: int, a: dt.date, b: dt.date,
               pupil_id: int | None) -> list[tuple]:
    """(pupil, counts...) over [a, b], days of one week, counted from the stored marks."""
    stmt = (select(AttendanceWeek.pupil_id, AttendanceWeek.marks, Pupil.on_roll_from,
                   Pupil.on_roll_to)
            .join(Pupil, Pupil.id == AttendanceWeek.pupil_id)
            .where(AttendanceWeek.school_id == school_id,
                   AttendanceWeek.week_start == _monday(a)))
    if pupil_id is not None:
        stmt = stmt.where(AttendanceWeek.pupil_id == pupil_id)
    rows = session.execute(stmt).all()
    if not rows:
        return []
    first = np.array([max(r[2], a).toordinal() for r in rows], dtype=np.int64)
    last = np.array([min(r[3] or NEVER, b).toordinal() for r in rows], dtype=np.int64)
    sums = counts(numbers_of([r[1] for r in rows]),
                  np.full(len(rows), _monday(a).toordinal(), dtype=np.int64), first, last)
    # every mark is a possible session or not: a pupil with neither has no marks in [a, b]
    return [(r[0], *c) for r, c in zip(rows, sums.tolist()) if c[0] + c[-1]]


def pupils_in_range(session: Session, school_id: int, start: dt.date, end: dt.date, *,
                    year_group: int | None = None, group: str | None = None) -> set[int]:
    """Pupils on roll at some time in the range, optionally of a year group or vulnerable
    group (a flag active at some time in the range)."""
    stmt = select(Pupil.id).where(Pupil.school_id == school_id, Pupil.on_roll_from <= end,
                               or_(Pupil.on_roll_to.is_(None), Pupil.on_roll_to >= start))
    if year_group is not None:
        stmt = stmt.where(Pupil.year_group == year_group)
    if group is not None:
        flags = GROUPS[group][1]
        stmt = stmt.where(Pupil.id.in_(select(PupilFlag.pupil_id).where(
            PupilFlag.school_id == school_id, PupilFlag.flag.in_(flags),
            PupilFlag.start_date <= end,
            or_(PupilFlag.end_date.is_(None), PupilFlag.end_date >= start))))
    return set(session.scalars(stmt))


@dataclass
class GroupMeasures:
    pupils: int  # pupils with at least one possible session in the range
    totals: Counts
    persistent: list[int]
    severe: list[int]

    @property
    def pa_pct(self) -> float | None:
        return round(100 * len(self.persistent) / self.pupils, 1) if self.pupils else None

    @property
    def sa_pct(self) -> float | None:
        return round(100 * len(self.severe) / self.pupils, 1) if self.pupils else None

    def as_dict(self) -> dict:
        return {"pupils": self.pupils, **self.totals.as_dict(),
                "persistent_absence_pupils": len(self.persistent), "pa_pct": self.pa_pct,
                "severe_absence_pupils": len(self.severe), "sa_pct": self.sa_pct}


def group_measures(session: Session, school_id: int, start: dt.date, end: dt.date, *,
                   year_group: int | None = None, group: str | None = None,
                   counts: dict[int, Counts] | None = None) -> GroupMeasures:
    """Measures for a school, year group or vulnerable group over [start, end]."""
    pupils = pupils_in_range(session, school_id, start, end, year_group=year_group, group=group)
    counts = counts if counts is not None else pupil_counts(session, school_id, start, end)
    totals, n, pa, sa = Counts(), 0, [], []
    for pid in sorted(pupils):
        c = counts.get(pid)
        if c is None or not c.possible:
            continue
        n += 1
        totals.add(c)
        if c.persistent:
            pa.append(pid)
        if c.severe:
            sa.append(pid)
    return GroupMeasures(n, totals, pa, sa)


def weekly_trend(session: Session, school_id: int, start: dt.date, end: dt.date,
                 pupil_id: int | None = None) -> list[tuple[dt.date, Counts]]:
    """Week by week counts (school or one pupil) from the summaries, oldest first."""
    cols = [getattr(AttendanceWeek, f.name) for f in fields(Counts)]
    stmt = (select(AttendanceWeek.week_start, *[func.sum(c) for c in cols])
            .where(AttendanceWeek.school_id == school_id,
                   AttendanceWeek.week_start >= _monday(start), AttendanceWeek.week_start <= end)
            .group_by(AttendanceWeek.week_start).order_by(AttendanceWeek.week_start))
    if pupil_id is not None:
        stmt = stmt.where(AttendanceWeek.pupil_id == pupil_id)
    return [(r[0], Counts(*[int(v or 0) for v in r[1:]])) for r in session.execute(stmt)]
