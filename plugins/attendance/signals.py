"""Absence patterns that are safeguarding signals.

:func:`analyse_school` looks at the recent marks of one school and records each pattern it
finds as a :class:`Signal` (a chronology entry) and a DSL alert with a link to raise a concern.
Every signal has a dedupe key, so analysing twice finds, but does not repeat, a signal.
Thresholds are the trust's ``attendance_thresholds`` setting over :data:`DEFAULTS`.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import alerts
from core.calendar import SchoolCalendar, calendar_for, uk_date
from core.db import system_scope
from core.models import Pupil, School
from core.plugins import current_host
from core.pupils import family_of, flags_on
from core.schools import trust_setting

from plugins.attendance.codes import AUTHORISED, UNAUTHORISED, codes
from plugins.attendance.definition import NAME
from plugins.attendance.models import AttendanceWeek, Signal
from plugins.attendance.weeks import decode, monday

DEFAULTS = {
    "cme_la_days": 10,  # statutory: tell the local authority after 10 school days
    "cme_roll_days": 20,  # statutory: removal-from-roll enquiries at 20 school days
    "first_day_lookback_days": 5,
    "weekday_weeks": 6,
    "weekday_min": 3,
    "trend_weeks": 4,
    "trend_drop_points": 10,
    "late_days": 10,
    "late_min": 5,
    "sibling_days": 10,
    "sibling_min": 2,
}
FIRST_DAY_FLAGS = ("cp_plan", "cin", "looked_after")
WINDOW_DAYS = 70
CHUNK = 500
UNEXPLAINED = "N"
MISSING_CODES = frozenset({"N", "G", "O"})  # unauthorised absence with the child not seen


def thresholds(session: Session, trust_id: int) -> dict:
    return trust_setting(session, trust_id, "attendance_thresholds", DEFAULTS)


def concern_link(school_id: int, pupil_id: int) -> str:
    return f"/schools/{school_id}/concerns/new?pupil_id={pupil_id}"


def record_signal(session: Session, school_id: int, pupil: Pupil, kind: str, key: str,
                  first: dt.date, last: dt.date, title: str, detail: str) -> Signal | None:
    """Record a signal and raise its alert, unless one with this key exists. Returns the new
    signal or None."""
    if session.scalar(select(Signal.id).where(Signal.school_id == school_id,
                                              Signal.dedupe_key == key)):
        return None
    alert, _ = alerts.raise_alert(
        session, school_id, f"attendance.{kind}", f"{pupil.display_name}: {title}. {detail}",
        dedupe_key=f"{NAME}:{key}", plugin=NAME, pupil_id=pupil.id,
        link=concern_link(school_id, pupil.id))
    sig = Signal(school_id=school_id, pupil_id=pupil.id, kind=kind, dedupe_key=key,
                 first_date=first, last_date=last, title=title, detail=detail, alert_id=alert.id)
    session.add(sig)
    session.flush()
    return sig


def _days_by_pupil(session: Session, school_id: int, start: dt.date, end: dt.date,
                   pupil_ids=None) -> dict[int, dict[dt.date, dict[str, str]]]:
    stmt = select(AttendanceWeek.pupil_id, AttendanceWeek.week_start, AttendanceWeek.marks).where(
        AttendanceWeek.school_id == school_id, AttendanceWeek.week_start >= monday(start),
        AttendanceWeek.week_start <= end)
    wanted = None
    if pupil_ids is not None:
        wanted = set(pupil_ids)
        # a range, not a long IN list: the list would be searched once per week row read
        stmt = stmt.where(AttendanceWeek.pupil_id.between(min(wanted), max(wanted)))
    out: dict[int, dict[dt.date, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for pid, week, marks in session.execute(stmt):
        if wanted is not None and pid not in wanted:
            continue
        for day, sess, code in decode(week, marks):
            if start <= day <= end:
                out[pid][day][sess] = code
    return out


def _all_absent(marks: dict[str, str], which=(AUTHORISED, UNAUTHORISED)) -> bool:
    table = codes()
    possible = [c for c in marks.values() if table[c].possible]
    return bool(possible) and all(table[c].category in which for c in possible)


def full_day_absences(days: dict[dt.date, dict[str, str]], school_days: list[dt.date]) -> set:
    return {d for d in school_days if d in days and _all_absent(days[d])}


def _runs(flags: list[tuple[dt.date, bool]]) -> list[tuple[dt.date, dt.date, int]]:
    runs, start, n, prev = [], None, 0, None
    for day, on in flags + [(None, False)]:
        if on:
            start, n = (start or day), n + 1
            prev = day
        elif start is not None:
            runs.append((start, prev, n))
            start, n = None, 0
    return runs


def analyse_school(session: Session, school_id: int, as_of: dt.date) -> list[Signal]:
    """Find the signals in the marks up to ``as_of`` for one school (nothing if the plugin is
    off there). Returns the signals that are new."""
    if not current_host().is_enabled(session, school_id, NAME):
        return []
    school = session.get(School, school_id)
    cfg = thresholds(session, school.trust_id)
    cal = calendar_for(session, school_id)
    start = as_of - dt.timedelta(days=WINDOW_DAYS)
    school_days = cal.school_days(start, as_of)
    if not school_days:
        return []
    term = cal.term_of(as_of)
    period = (term.start if term else school_days[-1]).isoformat()
    pupil_ids = sorted(session.scalars(select(AttendanceWeek.pupil_id).where(
        AttendanceWeek.school_id == school_id, AttendanceWeek.week_start >= monday(start),
        AttendanceWeek.week_start <= as_of).distinct()))
    pupils: dict[int, Pupil] = {}
    new: list[Signal] = []

    def add(*args):
        sig = record_signal(session, school_id, *args)
        if sig is not None:
            new.append(sig)

    # a chunk of pupils at a time, so a large school's analysis stays small in memory
    for i in range(0, len(pupil_ids), CHUNK):
        chunk = pupil_ids[i:i + CHUNK]
        batch = {p.id: p for p in session.scalars(select(Pupil).where(
            Pupil.school_id == school_id, Pupil.id.in_(chunk)))}
        pupils.update(batch)
        for pid, days in _days_by_pupil(session, school_id, start, as_of, chunk).items():
            pupil = batch[pid]
            _first_day(session, cfg, cal, school_days, pupil, days, add)
            _missing_runs(cfg, school_days, pupil, days, add)
            _same_weekday(cfg, school_days, pupil, days, period, add)
            _lateness(cfg, school_days, pupil, days, period, add)
            _siblings(session, cfg, school_days, pupil, days, period, add)
    _falling(session, school_id, cfg, as_of, pupils, period, add)
    return new


def _first_day(session, cfg, cal: SchoolCalendar, school_days, pupil, days, add) -> None:
    recent = school_days[-int(cfg["first_day_lookback_days"]):]
    for day in recent:
        if UNEXPLAINED not in days.get(day, {}).values():
            continue
        flags = flags_on(session, pupil.id, day) & set(FIRST_DAY_FLAGS)
        if not flags:
            continue
        before = [d for d in school_days if d < day]
        if before and UNEXPLAINED in days.get(before[-1], {}).values():
            continue  # not the first day of this absence
        add(pupil, "first_day", f"first_day:{pupil.id}:{day}", day, day,
            "Unexplained absence on the first day",
            f"No reason given for absence on {uk_date(day, weekday=True)}; pupil has "
            f"{', '.join(sorted(flags)).replace('_', ' ')}. Make contact today.")


def _missing_runs(cfg, school_days, pupil, days, add) -> None:
    flags = [(d, d in days and _all_absent(days[d], (UNAUTHORISED,))
              and all(c in MISSING_CODES or not codes()[c].possible for c in days[d].values()))
             for d in school_days]
    for first, last, n in _runs(flags):
        if n >= int(cfg["cme_la_days"]):
            add(pupil, "cme_la", f"cme_la:{pupil.id}:{first}", first, last,
                f"{n} school days of continuous unauthorised absence",
                f"Absent without authorisation since {uk_date(first)}: tell the local authority "
                f"(children missing education, {cfg['cme_la_days']} school days).")
        if n >= int(cfg["cme_roll_days"]):
            add(pupil, "cme_roll", f"cme_roll:{pupil.id}:{first}", first, last,
                f"{n} school days of continuous unauthorised absence",
                f"Absent without authorisation since {uk_date(first)}: make removal-from-roll "
                f"enquiries with the local authority ({cfg['cme_roll_days']} school days).")


def _same_weekday(cfg, school_days, pupil, days, period, add) -> None:
    cutoff = school_days[-1] - dt.timedelta(weeks=int(cfg["weekday_weeks"]))
    absent = [d for d in full_day_absences(days, school_days) | {
        d for d in school_days if d in days and any(
            codes()[c].absent for c in days[d].values())} if d > cutoff]
    per_day = defaultdict(set)
    for d in absent:
        per_day[d.weekday()].add(d)
    for wd, dates in per_day.items():
        others = [len(v) for k, v in per_day.items() if k != wd]
        if len(dates) >= int(cfg["weekday_min"]) and all(o * 2 < len(dates) for o in others):
            name = min(dates).strftime("%A")
            add(pupil, "weekday", f"weekday:{pupil.id}:{wd}:{period}", min(dates), max(dates),
                f"Absent on {len(dates)} {name}s", f"Repeated absence on {name}s: "
                f"{', '.join(uk_date(d, year=False) for d in sorted(dates))}.")


def _lateness(cfg, school_days, pupil, days, period, add) -> None:
    window = school_days[-int(cfg["late_days"]):]
    lates = sorted(d for d in window for c in days.get(d, {}).values() if c in ("L", "U"))
    if len(lates) >= int(cfg["late_min"]):
        add(pupil, "lateness", f"lateness:{pupil.id}:{period}", lates[0], lates[-1],
            f"Late {len(lates)} times in {len(window)} school days",
            "A cluster of late arrivals: worth asking what happens before school "
            "(caring for siblings, a parent unwell).")


def _siblings(session, cfg, school_days, pupil, days, period, add) -> None:
    window = school_days[-int(cfg["sibling_days"]):]
    mine = full_day_absences(days, window)
    if len(mine) < int(cfg["sibling_min"]):
        return
    host = current_host()
    for link, other, other_school in family_of(session, pupil.id):
        with system_scope(session, "attendance: siblings' absence across the trust"):
            if not host.is_enabled(session, other_school.id, NAME):
                continue
            theirs = _days_by_pupil(session, other_school.id, window[0], window[-1],
                                    [other.id]).get(other.id, {})
        common = sorted(mine & full_day_absences(theirs, window))
        if len(common) >= int(cfg["sibling_min"]):
            add(pupil, "siblings", f"siblings:{pupil.id}:{other.id}:{period}", common[0],
                common[-1], f"Absent on the same days as {link.relation.replace('_', ' ')}",
                f"{other.display_name} ({other_school.name}) was absent on the same "
                f"{len(common)} days: {', '.join(uk_date(d, year=False) for d in common)}.")


def _falling(session, school_id, cfg, as_of, pupils, period, add) -> None:
    """Attendance over the last ``trend_weeks`` weeks against the weeks before: one query over
    the weekly summaries for the whole school."""
    n = int(cfg["trend_weeks"])
    this_monday = monday(as_of)
    split = this_monday - dt.timedelta(weeks=n - 1)
    rows = session.execute(select(
        AttendanceWeek.pupil_id, AttendanceWeek.week_start, AttendanceWeek.possible,
        AttendanceWeek.present + AttendanceWeek.aea).where(
        AttendanceWeek.school_id == school_id,
        AttendanceWeek.week_start >= this_monday - dt.timedelta(weeks=2 * n - 1),
        AttendanceWeek.week_start <= this_monday))
    acc: dict[int, list] = defaultdict(lambda: [0, 0, 0, 0, None, None])
    for pid, week, possible, attended in rows:
        a = acc[pid]
        k = 2 if week >= split else 0
        a[k] += possible
        a[k + 1] += attended
        a[4] = week if a[4] is None or week < a[4] else a[4]
        a[5] = week if a[5] is None or week > a[5] else a[5]
    for pid, (b_poss, b_att, r_poss, r_att, first, last) in acc.items():
        if not b_poss or not r_poss or pid not in pupils:
            continue
        b, r = 100 * b_att / b_poss, 100 * r_att / r_poss
        if b - r >= float(cfg["trend_drop_points"]):
            add(pupils[pid], "falling", f"falling:{pid}:{period}", first,
                last + dt.timedelta(days=4),
                f"Attendance falling: {b:.0f}% to {r:.0f}%",
                f"Attendance over the last {n} weeks fell to {r:.1f}% from {b:.1f}% in the "
                f"{n} weeks before.")
