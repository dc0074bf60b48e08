"""Attendance's indicators for the converging-signals rules (``mat_indicators``).

Read straight from the weekly registers, so a replay over history sees what the nightly
analysis would have seen on each day:

- ``attendance.unexplained_day``: a school day with a session marked N (no reason yet);
- ``attendance.first_day_cp_cin``: the first day of an unexplained absence of a child with a
  child protection plan or a child in need plan that day;
- ``attendance.missing_education``: the ``cme_la_days``-th school day of continuous
  unauthorised absence with the child not seen (the day the local authority must be told);
- ``attendance.falling``: the week attendance over the last ``trend_weeks`` weeks first fell
  ``trend_drop_points`` points below the weeks before;
- ``attendance.persistent_absence``: the week the year's attendance first fell below 90%
  (missing 10% or more of possible sessions), once at least :data:`PA_MIN_SESSIONS`
  sessions were possible: one day off in the first week of September is not persistent.

Thresholds are the trust's ``attendance_thresholds`` (the same as the plugin's own signals).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.calendar import academic_year_bounds, academic_year_start, calendar_for
from core.contributions import Indicator
from core.models import PupilFlag, School

from plugins.attendance.codes import UNAUTHORISED, codes
from plugins.attendance.definition import NAME
from plugins.attendance.models import AttendanceWeek
from plugins.attendance.signals import MISSING_CODES, UNEXPLAINED, _all_absent, _runs, thresholds
from plugins.attendance.weeks import decode, monday

PA_LINE = 90.0
PA_MIN_SESSIONS = 60  # six weeks of school
PLAN_FLAGS = ("cp_plan", "cin")
LOOK_BACK_DAYS = 42  # runs and first days need the days before the period
READ_CODES = ("N", "G", "O")  # the codes of an unexplained or missing day
CHUNK = 1000


def indicators(session: Session, school_id: int, start: dt.date, end: dt.date,
               pupil_ids: list[int] | None = None) -> list[Indicator]:
    """Every attendance indicator of the school's pupils dated ``start`` to ``end``."""
    trust_id = session.scalar(select(School.trust_id).where(School.id == school_id))
    cfg = thresholds(session, trust_id)
    cal = calendar_for(session, school_id)
    return (_daily(session, school_id, cfg, cal, start, end, pupil_ids)
            + _weekly(session, school_id, cfg, start, end, pupil_ids))


def _link(school_id: int, pupil_id: int) -> str:
    return f"/schools/{school_id}/pupils/{pupil_id}"


def _plans(session: Session, school_id: int, pupil_ids) -> dict[int, list[PupilFlag]]:
    stmt = select(PupilFlag).where(PupilFlag.school_id == school_id,
                                   PupilFlag.flag.in_(PLAN_FLAGS))
    if pupil_ids is not None:
        stmt = stmt.where(PupilFlag.pupil_id.in_(list(pupil_ids)))
    out: dict[int, list[PupilFlag]] = defaultdict(list)
    for f in session.scalars(stmt):
        out[f.pupil_id].append(f)
    return out


def _marks(session: Session, school_id: int, first: dt.date, end: dt.date, pupil_ids
           ) -> dict[int, dict[dt.date, dict[str, str]]]:
    """``pupil -> day -> session -> code`` for the weeks that hold a code these indicators
    read (N, G or O): a week without one cannot start, continue or show an unexplained or
    missing day, so it is not decoded at all (most weeks of most pupils)."""
    stmt = select(AttendanceWeek.pupil_id, AttendanceWeek.week_start, AttendanceWeek.marks).where(
        AttendanceWeek.school_id == school_id, AttendanceWeek.week_start >= monday(first),
        AttendanceWeek.week_start <= end)
    out: dict[int, dict[dt.date, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for chunk in _chunks(pupil_ids):
        rows = session.execute(stmt if chunk is None else
                               stmt.where(AttendanceWeek.pupil_id.in_(chunk)))
        for pid, week, marks in rows:
            if not any(ch in marks for ch in READ_CODES):
                continue
            for day, sess, code in decode(week, marks):
                if first <= day <= end:
                    out[pid][day][sess] = code
    return out


def _daily(session, school_id, cfg, cal, start, end, pupil_ids) -> list[Indicator]:
    need = int(cfg["cme_la_days"])
    # far enough back for a run of ``need`` school days ending on ``start``, and the day
    # before a first day
    back = cal.school_days(start - dt.timedelta(days=LOOK_BACK_DAYS), start)
    first = back[-need - 1] if len(back) > need else start - dt.timedelta(days=LOOK_BACK_DAYS)
    school_days = cal.school_days(first, end)
    if not school_days:
        return []
    plans = _plans(session, school_id, pupil_ids)
    out: list[Indicator] = []
    for pid, days in _marks(session, school_id, first, end, pupil_ids).items():
        link = _link(school_id, pid)
        unexplained = [d for d in school_days if UNEXPLAINED in days.get(d, {}).values()]
        gone = set(unexplained)
        for n, day in enumerate(school_days):
            if day not in gone or day < start:
                continue
            out.append(Indicator(pid, school_id, "attendance.unexplained_day", day, NAME,
                                 "Absent with no reason given", link, day.isoformat()))
            prev = school_days[n - 1] if n else None
            held = [f.flag for f in plans.get(pid, []) if f.active_on(day)]
            if held and prev not in gone:
                out.append(Indicator(pid, school_id, "attendance.first_day_cp_cin", day, NAME,
                                     "First day of unexplained absence, with a "
                                     + ("child protection plan" if "cp_plan" in held
                                        else "child in need plan"), link, day.isoformat()))
        missing = [(d, d in days and _all_absent(days[d], (UNAUTHORISED,)) and all(
            c in MISSING_CODES or not codes()[c].possible for c in days[d].values()))
            for d in school_days]
        for run_start, _, n in _runs(missing):
            if n < need:
                continue
            nth = school_days[school_days.index(run_start) + need - 1]
            if start <= nth <= end:
                out.append(Indicator(pid, school_id, "attendance.missing_education", nth, NAME,
                                     f"{need} school days of continuous unauthorised absence",
                                     link, run_start.isoformat()))
    return out


def _weekly(session, school_id, cfg, start, end, pupil_ids) -> list[Indicator]:
    n = int(cfg["trend_weeks"])
    year = academic_year_start(start)
    year_monday = monday(academic_year_bounds(year)[0])
    # weeks before ``cut`` matter only as the year's running total (one grouped query);
    # the weeks after are read one by one for the trend and the crossing
    cut = max(monday(start) - dt.timedelta(weeks=2 * n + 1), year_monday)
    attended = AttendanceWeek.present + AttendanceWeek.aea
    rows_stmt = select(AttendanceWeek.pupil_id, AttendanceWeek.week_start,
                       AttendanceWeek.possible, attended).where(
        AttendanceWeek.school_id == school_id, AttendanceWeek.week_start >= cut,
        AttendanceWeek.week_start <= end)
    total_stmt = select(AttendanceWeek.pupil_id, func.sum(AttendanceWeek.possible),
                        func.sum(attended)).where(
        AttendanceWeek.school_id == school_id, AttendanceWeek.week_start >= year_monday,
        AttendanceWeek.week_start < cut).group_by(AttendanceWeek.pupil_id)
    weeks: dict[int, list[tuple[dt.date, int, int]]] = defaultdict(list)
    before: dict[int, tuple[int, int]] = {}
    for chunk in _chunks(pupil_ids):
        where = [] if chunk is None else [AttendanceWeek.pupil_id.in_(chunk)]
        for pid, week, possible, att in session.execute(rows_stmt.where(*where)):
            weeks[pid].append((week, possible, att))
        for pid, possible, att in session.execute(total_stmt.where(*where)):
            before[pid] = (int(possible or 0), int(att or 0))
    drop = float(cfg["trend_drop_points"])
    out: list[Indicator] = []
    for pid, rows in weeks.items():
        rows.sort()
        out += _falling(school_id, pid, rows, n, drop, start, end)
        out += _persistent(school_id, pid, rows, start, end, year, before.get(pid, (0, 0)))
    return out


def _chunks(pupil_ids) -> list:
    if pupil_ids is None:
        return [None]
    ids = sorted(pupil_ids)
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _pct(rows) -> float | None:
    possible = sum(r[1] for r in rows)
    return 100 * sum(r[2] for r in rows) / possible if possible else None


def _falling(school_id, pid, rows, n, drop, start, end) -> list[Indicator]:
    by_week = {row[0]: row for row in rows}
    was = False
    out = []
    for week, _, _ in rows:
        if week + dt.timedelta(days=11) < start:
            continue  # a week whose Friday, and the next, fall before the period
        recent = [by_week[w] for w in (week - dt.timedelta(weeks=k) for k in range(n))
                  if w in by_week]
        before = [by_week[w] for w in (week - dt.timedelta(weeks=k) for k in range(n, 2 * n))
                  if w in by_week]
        b, r = _pct(before), _pct(recent)
        now = b is not None and r is not None and b - r >= drop
        friday = week + dt.timedelta(days=4)
        if now and not was and start <= friday <= end:
            out.append(Indicator(pid, school_id, "attendance.falling", friday, NAME,
                                 f"Attendance falling: {b:.0f}% to {r:.0f}% over {n} weeks",
                                 _link(school_id, pid), week.isoformat()))
        was = now
    return out


def _persistent(school_id, pid, rows, start, end, year, before) -> list[Indicator]:
    """The week the year's attendance first went under the line, counting from the weeks
    before ``rows`` (``before``: possible and attended sessions of the year until then)."""
    out = []
    possible, attended = before
    below = possible >= PA_MIN_SESSIONS and 100 * attended / possible < PA_LINE
    for week, p, a in rows:
        y = academic_year_start(week + dt.timedelta(days=4))
        if y != year:
            year, possible, attended, below = y, 0, 0, False
        possible, attended = possible + p, attended + a
        if possible < PA_MIN_SESSIONS:
            continue
        pct = 100 * attended / possible
        friday = week + dt.timedelta(days=4)
        if pct < PA_LINE and not below and start <= friday <= end:
            out.append(Indicator(pid, school_id, "attendance.persistent_absence", friday, NAME,
                                 f"Persistent absence: attendance this year {pct:.1f}%",
                                 _link(school_id, pid), str(y)))
        below = pct < PA_LINE
    return out
