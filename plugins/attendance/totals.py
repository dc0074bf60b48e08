"""Attendance, persistent and severe absence for many schools in one grouped statement.

Each pupil's counts over the period are added up in SQL from three sources: the stored term
spans that lie wholly inside the period (:mod:`.terms`, a few rows per pupil), the stored week
rows for whole weeks outside those spans, and, for the part-weeks left at the edges, the marks
themselves (a ``CASE`` per session on the stored week text). A span running past the period's
end counts whole when its last stored mark is on or before that end (``last_marked``), so
"this year to date" reads a few rows per pupil and no week rows while the term is running. The per-pupil sums are then
grouped by school: pupils with a possible session, sessions possible and attended, and the
pupils missing 10% or more (persistent) and 50% or more (severe) of their possible sessions,
the DfE's definitions, as :class:`.measures.Counts` decides them one pupil at a time. Schools
whose calendars leave the same days outside their spans share one branch of the statement, so
a trust on one calendar costs the same few branches whatever its number of schools.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal, literal_column, or_, select, union_all
from sqlalchemy.orm import Session

from core.models import Pupil

from plugins.attendance.codes import AEA, AUTHORISED, PRESENT, UNAUTHORISED, codes
from plugins.attendance.measures import PERSISTENT, SEVERE
from plugins.attendance.models import AttendanceTerm, AttendanceTermCount, AttendanceWeek
from plugins.attendance.weeks import WIDTH, monday

Span = tuple[dt.date, dt.date]
W, T = AttendanceWeek, AttendanceTermCount


@dataclass(frozen=True)
class SchoolTotals:
    pupils: int  # pupils with at least one possible session in the period
    possible: int
    attended: int
    persistent: int
    severe: int

    @property
    def attendance_pct(self) -> float | None:
        return round(100 * self.attended / self.possible, 1) if self.possible else None

    @property
    def pa_pct(self) -> float | None:
        return round(100 * self.persistent / self.pupils, 1) if self.pupils else None

    @property
    def sa_pct(self) -> float | None:
        return round(100 * self.severe / self.pupils, 1) if self.pupils else None


def _whole(start: dt.date, end: dt.date):
    """The spans whose stored totals are the period's for their days: those inside it, and
    one that starts inside it and runs past its end with no mark after the end (the current
    term read to date), whose totals then count only days up to the end."""
    S = AttendanceTerm
    return and_(S.term_start >= start, S.term_start <= end,
                or_(S.term_end <= end, S.last_marked.is_(None), S.last_marked <= end))


def _outside(start: dt.date, end: dt.date, spans: list[Span]) -> list[Span]:
    """The runs of days from ``start`` to ``end`` not in any of the (disjoint) spans."""
    out, cursor = [], start
    for a, b in sorted(spans):
        if a > cursor:
            out.append((cursor, a - dt.timedelta(days=1)))
        cursor = max(cursor, b + dt.timedelta(days=1))
    if cursor <= end:
        out.append((cursor, end))
    return out


def _pieces(runs: list[Span]) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """Runs of days as (first and last Monday of whole weeks) and part-weeks (days of one
    week each)."""
    whole, parts = [], []
    for a, b in runs:
        first = a if a.weekday() == 0 else monday(a) + dt.timedelta(days=7)
        last = monday(b) if b.weekday() == 6 else monday(b) - dt.timedelta(days=7)
        edges = [(a, b)] if first > last else [(a, first - dt.timedelta(days=1)),
                                               (last + dt.timedelta(days=7), b)]
        if first <= last:
            whole.append((first, last))
        for lo, hi in edges:
            while lo <= hi:
                week_end = min(hi, monday(lo) + dt.timedelta(days=6))
                parts.append((lo, week_end))
                lo = week_end + dt.timedelta(days=1)
    return tuple(whole), tuple(parts)


def _codes_of(*categories: str) -> list:
    """The stored slot texts of the codes in ``categories``, as SQL literals: inline rather
    than bound, since a part-week names them once per session and field (hundreds of bound
    parameters made each statement slow to send)."""
    return [literal_column("'" + c.code.ljust(WIDTH).replace("'", "''") + "'")
            for c in sorted(codes().values(), key=lambda c: c.code) if c.category in categories]


def _part_week(school_ids: list[int], a: dt.date, b: dt.date):
    """Per-pupil (possible, attended, absent) over days ``a``..``b`` of one week, counted from
    the marks of the stored week, only on days the pupil was on roll."""
    kinds = (_codes_of(PRESENT, AEA, AUTHORISED, UNAUTHORISED), _codes_of(PRESENT, AEA),
             _codes_of(AUTHORISED, UNAUTHORISED))
    week = monday(a)
    sums = [literal(0)] * 3
    day = a
    while day <= b:
        on_roll = and_(Pupil.on_roll_from <= day,
                       or_(Pupil.on_roll_to.is_(None), Pupil.on_roll_to >= day))
        k = 2 * (day - week).days
        for i, wanted in enumerate(kinds):
            both = sum(case((func.substr(W.marks, s * WIDTH + 1, WIDTH).in_(wanted), 1),
                            else_=0) for s in (k, k + 1))
            sums[i] = sums[i] + case((on_roll, both), else_=0)
        day += dt.timedelta(days=1)
    return (select(W.school_id, W.pupil_id, *sums).join(Pupil, Pupil.id == W.pupil_id)
            .where(W.school_id.in_(school_ids), W.week_start == week))


def school_totals(session: Session, school_ids: list[int], start: dt.date, end: dt.date
                  ) -> dict[int, SchoolTotals]:
    """Each school's attendance totals over ``start``..``end`` (two statements: the spans,
    then the figures); a school with no possible session in the period is left out."""
    if not school_ids:
        return {}
    spans: dict[int, list[Span]] = {sid: [] for sid in school_ids}
    for sid, a, b in session.execute(select(AttendanceTerm.school_id, AttendanceTerm.term_start,
                                            AttendanceTerm.term_end).where(
            AttendanceTerm.school_id.in_(school_ids), _whole(start, end))):
        spans[sid].append((a, b))
    groups: dict[tuple, list[int]] = {}
    for sid in school_ids:
        groups.setdefault(_pieces(_outside(start, end, spans[sid])), []).append(sid)
    branches = [select(T.school_id, T.pupil_id, T.possible, T.present + T.aea,
                       T.authorised + T.unauthorised).join(AttendanceTerm, and_(
        AttendanceTerm.school_id == T.school_id, AttendanceTerm.term_start == T.term_start))
        .where(T.school_id.in_(school_ids), _whole(start, end))]
    for (whole, parts), sids in groups.items():
        if whole:
            branches.append(select(W.school_id, W.pupil_id, W.possible, W.present + W.aea,
                                   W.authorised + W.unauthorised).where(
                W.school_id.in_(sids), or_(*[W.week_start.between(a, b) for a, b in whole])))
        branches += [_part_week(sids, a, b) for a, b in parts]
    u = union_all(*branches).subquery()
    sid_c, pid_c, poss_c, att_c, abs_c = u.c
    pupil = (select(sid_c.label("sid"), func.sum(poss_c).label("p"),
                    func.sum(att_c).label("a"), func.sum(abs_c).label("x"))
             .group_by(sid_c, pid_c).subquery())
    # integer comparisons: absent >= 10% of possible is 10 * absent >= possible
    pa, sa = round(1 / PERSISTENT), round(1 / SEVERE)
    rows = session.execute(select(
        pupil.c.sid, func.count(), func.sum(pupil.c.p), func.sum(pupil.c.a),
        func.sum(case((pupil.c.x * pa >= pupil.c.p, 1), else_=0)),
        func.sum(case((pupil.c.x * sa >= pupil.c.p, 1), else_=0)))
        .where(pupil.c.p > 0).group_by(pupil.c.sid))
    return {sid: SchoolTotals(int(n), int(p or 0), int(a or 0), int(x or 0), int(y or 0))
            for sid, n, p, a, x, y in rows}
