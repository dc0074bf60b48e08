"""``python -m benchmarks signals --size tiny|full``: the converging-signals evaluation of a
generated trust (full: 50,000 pupils in 20 schools; tiny: 600 in 3), measured against the bare
SQL that fetches the rows behind the same indicators, in the same run.

The trust (:func:`build_trust`, also what the noise test uses) has ten weeks of registers with
ordinary absence (illness, appointments, holidays, now and then a morning with no reason yet),
some pupils whose attendance drifts down, concerns, police notifications and sibling links
across schools at plausible rates, and a few planted cases of each rule. Measured: the nightly
job's evaluation of every school from nothing (``full``), the next night's incremental run
after one more day of registers (``incremental``), and the baseline; figures go to
``benchmarks/results/signals_<size>.json``.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import time
from dataclasses import dataclass, field

from sqlalchemy import insert, select, text

from core import schools
from core.calendar import LONDON, SchoolCalendar, academic_year_start, england_terms
from core.db import SYSTEM, Database
from core.models import (Concern, ConcernPupil, FamilyLink, Pupil, PupilFlag, School)
from core.plugins import current_host

SIZES = {"tiny": (3, 200), "full": (20, 2500)}  # schools, pupils per school
WEEKS = 10
PLANTED_PER_RULE = {"tiny": 3, "full": 10}


@dataclass
class Planted:
    rule: str
    school_id: int
    pupil_id: int


@dataclass
class Trust:
    trust_id: int
    school_ids: list[int]
    start: dt.date  # the first Monday of registers
    end: dt.date  # the last Friday
    pupils: int
    planted: list[Planted] = field(default_factory=list)


def _codes_for(rng: random.Random, profile: float, n: int) -> list[str]:
    """A pupil's day codes: present mostly; absent with probability ``profile``."""
    out = []
    for _ in range(n):
        if rng.random() >= profile:
            out.append("/")
            continue
        r = rng.random()
        out.append("I" if r < 0.55 else "M" if r < 0.7 else "O" if r < 0.85 else
                   "G" if r < 0.93 else "N")
    return out


def _week_rows(school_id, trust_id, pid, start, day_codes, open_days):
    """AttendanceWeek rows (as dicts) for consecutive weekdays from the Monday ``start``;
    a day the school is closed (half-term) is marked ``#``."""
    from plugins.attendance.weeks import COUNT_FIELDS, encode, week_counts

    rows = []
    for w in range(len(day_codes) // 5):
        monday = start + dt.timedelta(weeks=w)
        marks = {}
        for d in range(5):
            code = day_codes[w * 5 + d]
            if monday + dt.timedelta(days=d) not in open_days:
                code = "#"
            marks[2 * d] = code
            marks[2 * d + 1] = "\\" if code == "/" else code
        text_ = encode(marks)
        counts = week_counts(monday, text_, dt.date.min, dt.date.max)
        rows.append({"school_id": school_id, "trust_id": trust_id, "pupil_id": pid,
                     "week_start": monday, "marks": text_, **dict(zip(COUNT_FIELDS, counts))})
    return rows


def _notification(session, school_id, trust_id, pid, day, n):
    from plugins.encompass.models import EncompassChild, EncompassNotification

    at = dt.datetime.combine(day, dt.time(7, 30), LONDON)
    note = EncompassNotification(school_id=school_id, trust_id=trust_id,
                                 incident_date=day - dt.timedelta(days=1), received_at=at,
                                 source="api", group_key=f"bench{n}", force="Bench Police",
                                 force_key="bench police", police_reference=f"B{n}",
                                 reference_key=f"b{n}")
    session.add(note)
    session.flush()
    session.add(EncompassChild(school_id=school_id, trust_id=trust_id, notification_id=note.id,
                               first_name="P", last_name="Bench", pupil_id=pid,
                               match="matched"))


def _concern(session, school_id, trust_id, pid, day, hour=10):
    at = dt.datetime.combine(day, dt.time(hour), LONDON)
    c = Concern(school_id=school_id, trust_id=trust_id, occurred_at=at, recorded_at=at,
                fact="Generated concern.", source="staff")
    session.add(c)
    session.flush()
    session.add(ConcernPupil(school_id=school_id, trust_id=trust_id, concern_id=c.id,
                             pupil_id=pid))


def build_trust(db: Database, n_schools: int, per_school: int, seed: int = 17,
                planted_per_rule: int = 3, year: int = 2025) -> Trust:
    """A trust of ``n_schools`` schools of ``per_school`` pupils with ten weeks of registers
    from the second Monday of September ``year``, background noise and planted cases."""
    from plugins.attendance.models import AttendanceWeek

    rng = random.Random(seed)
    host = current_host()
    terms = england_terms(year)
    start = terms[0].start + dt.timedelta(days=(7 - terms[0].start.weekday()) % 7)
    end = start + dt.timedelta(weeks=WEEKS - 1, days=4)
    with db.transaction(SYSTEM) as s:
        trust = schools.create_trust(s, f"Signals Trust {seed}-{rng.randrange(10**6)}")
        school_ids = []
        for i in range(n_schools):
            sc = schools.create_school(s, trust.id, f"{700000 + rng.randrange(10**5):06d}",
                                       f"Signals School {i + 1}")
            schools.set_terms(s, sc.id, terms)
            for plugin in ("attendance", "encompass", "transition"):
                if plugin in host.names:
                    host.set_enabled(s, sc.id, plugin, True)
            school_ids.append(sc.id)
        trust_id = trust.id
    t = Trust(trust_id, school_ids, start, end, n_schools * per_school)
    pupils_of: dict[int, list[int]] = {}
    for sid in school_ids:
        with db.transaction(SYSTEM) as s:
            s.execute(insert(Pupil), [
                {"school_id": sid, "trust_id": trust_id, "first_name": f"P{i}",
                 "last_name": f"Bench{i % 97}", "date_of_birth": dt.date(2014, 1, 1),
                 "gender": "U", "year_group": 5, "on_roll_from": dt.date(year, 9, 1)}
                for i in range(per_school)])
            pupils_of[sid] = list(s.scalars(select(Pupil.id).where(Pupil.school_id == sid)
                                            .order_by(Pupil.id)))
    days = WEEKS * 5
    open_days = set(SchoolCalendar(terms, {}).school_days(start, end))
    planted_ids = set()
    plan = _plan(rng, t, pupils_of, planted_per_rule, planted_ids)
    n = 0
    for sid in school_ids:
        with db.transaction(SYSTEM) as s:
            rows = []
            for pid in pupils_of[sid]:
                roll = rng.random()
                profile = 0.03 if roll < 0.85 else 0.08 if roll < 0.97 else 0.16
                codes = _codes_for(rng, profile, days)
                if roll >= 0.995 and pid not in planted_ids:  # drifting down
                    codes = codes[:25] + _codes_for(rng, 0.35, days - 25)
                codes = plan["codes"].get(pid, lambda c: c)(codes)
                rows += _week_rows(sid, trust_id, pid, start, codes, open_days)
                if len(rows) >= 20000:
                    s.execute(insert(AttendanceWeek), rows)
                    rows = []
            if rows:
                s.execute(insert(AttendanceWeek), rows)
            # background: about 3 concerns and 0.5 notifications per 1,000 pupils a week
            for pid in rng.sample(pupils_of[sid], k=min(len(pupils_of[sid]),
                                                       int(per_school * 0.003 * WEEKS))):
                if pid not in planted_ids:
                    _concern(s, sid, trust_id, pid, start + dt.timedelta(days=rng.randrange(70)))
            for pid in rng.sample(pupils_of[sid], k=max(1, int(per_school * 0.0005 * WEEKS))):
                if pid not in planted_ids:
                    n += 1
                    _notification(s, sid, trust_id, pid,
                                  start + dt.timedelta(days=rng.randrange(70)), n)
    with db.transaction(SYSTEM) as s:
        _siblings(s, rng, t, pupils_of, planted_ids)
        for act in plan["after"]:
            n += 1
            act(s, n)
    t.planted = plan["planted"]
    return t


def _day(t: Trust, week: int, weekday: int) -> dt.date:
    return t.start + dt.timedelta(weeks=week, days=weekday)


def _plan(rng, t: Trust, pupils_of, k: int, planted_ids: set) -> dict:
    """Planted cases of each rule: what to change in their registers and what to add."""
    codes: dict = {}
    after: list = []
    planted: list[Planted] = []
    free = {sid: [p for p in ids[5:]] for sid, ids in pupils_of.items()}
    for sid in free:
        rng.shuffle(free[sid])

    def take(sid):
        pid = free[sid].pop()
        planted_ids.add(pid)
        return pid

    sids = t.school_ids
    for j in range(k):
        sid = sids[j % len(sids)]
        # police notification on a Thursday, no reason given for Friday's absence
        pid, week = take(sid), (3, 4, 5, 6, 8)[j % 5]  # week 7 is half-term
        codes[pid] = (lambda w: lambda c: c[:w * 5 + 4] + ["N"] + c[w * 5 + 5:])(week)
        after.append((lambda sid, pid, d: lambda s, n: _notification(
            s, sid, t.trust_id, pid, d, n))(sid, pid, _day(t, week, 3)))
        planted.append(Planted("police_then_absence", sid, pid))
        # a concern, then a child protection plan starting nine days later
        pid = take(sid)
        d = _day(t, 2 + j % 7, 1)
        after.append((lambda sid, pid, d: lambda s, n: (
            _concern(s, sid, t.trust_id, pid, d),
            s.add(PupilFlag(school_id=sid, trust_id=t.trust_id, pupil_id=pid, flag="cp_plan",
                            start_date=d + dt.timedelta(days=9)))))(sid, pid, d))
        planted.append(Planted("different_kinds", sid, pid))
        # attendance collapsing from week 5 here, a concern about the sibling elsewhere
        other = sids[(j + 1) % len(sids)]
        pid, sib = take(sid), take(other)
        codes[pid] = lambda c: ["/"] * 25 + ["O" if i % 2 else "/" for i in range(25)]
        codes[sib] = lambda c: ["/"] * 50
        after.append((lambda a, b, other_sid: lambda s, n: (
            s.add(FamilyLink(trust_id=t.trust_id, pupil_id=min(a, b),
                             related_pupil_id=max(a, b), relation="sibling")),
            _concern(s, other_sid, t.trust_id, b, _day(t, 7, 2))))(pid, sib, other))
        planted.append(Planted("relative_elsewhere_while_falling", sid, pid))
    return {"codes": codes, "after": after, "planted": planted}


def _siblings(s, rng, t: Trust, pupils_of, planted_ids: set) -> None:
    """About one pupil in ten linked to a sibling, a third of them at another school."""
    flat = [(pid, sid) for sid, ids in pupils_of.items() for pid in ids if pid not in planted_ids]
    rng.shuffle(flat)
    rows, seen = [], set()
    for i in range(0, len(flat) // 10, 2):
        a, b = flat[i][0], flat[i + 1][0]
        key = (min(a, b), max(a, b))
        if key in seen:
            continue
        seen.add(key)
        rows.append({"trust_id": t.trust_id, "pupil_id": key[0], "related_pupil_id": key[1],
                     "relation": "sibling"})
    if rows:
        s.execute(insert(FamilyLink), rows)


# --- measuring -----------------------------------------------------------------------------

def evaluate_all(db: Database, t: Trust, as_of: dt.date, incremental: bool) -> dict:
    from core.signals.evaluate import evaluate_school

    out = {"new": 0, "evaluated": 0, "indicators": 0}
    with db.transaction(SYSTEM) as s:
        for sid in t.school_ids:
            r = evaluate_school(s, sid, as_of, incremental=incremental)
            out["new"] += r.get("new", 0) + r.get("notice_new", 0)
            out["evaluated"] += r.get("evaluated", r["pupils"])
            out["indicators"] += r["indicators"]
    return out


BARE_SQL = """
SELECT * FROM (
  SELECT w.pupil_id, w.week_start, w.marks, w.possible, w.present FROM attendance_weeks w
   WHERE w.school_id = :s AND w.week_start >= :lo AND w.week_start <= :hi
  UNION ALL
  SELECT cp.pupil_id, c.occurred_at, c.source, 0, 0 FROM concerns c
    JOIN concern_pupils cp ON cp.concern_id = c.id AND cp.school_id = c.school_id
   WHERE c.school_id = :s AND c.occurred_at >= :lo_t
  UNION ALL
  SELECT ch.pupil_id, n.received_at, n.source, 0, 0 FROM encompass_notifications n
    JOIN encompass_children ch ON ch.notification_id = n.id AND ch.school_id = n.school_id
   WHERE n.school_id = :s AND n.received_at >= :lo_t
  UNION ALL
  SELECT f.pupil_id, f.start_date, f.flag, 0, 0 FROM pupil_flags f WHERE f.school_id = :s
) rows
"""


def bare_fetch(db: Database, t: Trust, lo: dt.date, hi: dt.date) -> int:
    """The baseline: fetch into Python, with no rules and no decoding, every row behind the
    indicators (each school's register weeks of the window and the year so far, concerns,
    notifications and flags since then) and the trust's family links."""
    total = 0
    lo_t = dt.datetime.combine(lo, dt.time.min, LONDON)
    with db.transaction(SYSTEM) as s:
        for sid in t.school_ids:
            total += len(s.execute(text(BARE_SQL), {"s": sid, "lo": lo, "hi": hi,
                                                    "lo_t": lo_t}).all())
            s.execute(text("SELECT * FROM family_links WHERE trust_id = :t"),
                      {"t": t.trust_id}).all()
    return total


def replay_figures(db: Database, t: Trust) -> dict:
    """The replay over the ten weeks: planted cases found, and alerts per 1,000 pupils per
    week by rule, for everyone and for the pupils nobody planted."""
    from core.signals.engine import AlertCounter
    from core.signals.evaluate import per_thousand_per_week, replay_school

    counter = AlertCounter()
    with db.transaction(SYSTEM) as s:
        for sid in t.school_ids:
            replay_school(s, sid, t.start, t.end, counter)
    found = {(f.rule, f.pupil_id) for f in counter.alerts}
    planted = {p.pupil_id for p in t.planted}
    related = {r[0] for f in counter.alerts if f.pupil_id in planted for r in f.relatives}
    background = [f for f in counter.alerts if f.pupil_id not in planted | related]
    by_rule: dict[str, int] = {}
    for f in background:
        by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
    others = t.pupils - len(planted | related)
    return {"planted": len(t.planted),
            "planted_found": sum((p.rule, p.pupil_id) in found for p in t.planted),
            "alerts": len(counter.alerts),
            "all_per_1000_per_week": per_thousand_per_week(len(counter.alerts), t.pupils,
                                                           t.start, t.end),
            "background_per_1000_per_week": per_thousand_per_week(len(background), others,
                                                                  t.start, t.end),
            "background_by_rule_per_1000_per_week": {
                rule: per_thousand_per_week(n, others, t.start, t.end)
                for rule, n in sorted(by_rule.items())}}


def main(size: str) -> dict:
    from pathlib import Path

    from .scratch import scratch_database

    n_schools, per_school = SIZES[size]
    report: dict = {"size": size, "schools": n_schools, "pupils": n_schools * per_school,
                    "weeks_of_registers": WEEKS}
    with scratch_database() as (_, db):
        t0 = time.perf_counter()
        t = build_trust(db, n_schools, per_school, planted_per_rule=PLANTED_PER_RULE[size],
                        year=academic_year_start(dt.date(2025, 10, 1)))
        report["build_seconds"] = round(time.perf_counter() - t0, 1)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        as_of = t.end - dt.timedelta(days=1)  # Thursday: the next night adds Friday
        from core.signals.rules import DEFAULT_RULES, window_of

        lo = as_of - dt.timedelta(days=window_of(DEFAULT_RULES) + 42)
        t0 = time.perf_counter()
        rows = bare_fetch(db, t, lo, as_of)
        report["baseline_bare_sql_seconds"] = round(time.perf_counter() - t0, 2)
        report["baseline_rows"] = rows
        t0 = time.perf_counter()
        full = evaluate_all(db, t, as_of, incremental=False)
        report["full_evaluation_seconds"] = round(time.perf_counter() - t0, 2)
        report["full_evaluation"] = full
        t0 = time.perf_counter()
        inc = evaluate_all(db, t, t.end, incremental=True)
        report["incremental_seconds"] = round(time.perf_counter() - t0, 2)
        report["incremental"] = inc
        t0 = time.perf_counter()
        report["replay"] = replay_figures(db, t)
        report["replay"]["seconds"] = round(time.perf_counter() - t0, 2)
        report["ratio_full_to_baseline"] = round(
            report["full_evaluation_seconds"] / max(report["baseline_bare_sql_seconds"], 1e-3), 1)
    results = Path(__file__).parent / "results"
    (results / f"signals_{size}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":  # pragma: no cover
    import sys

    main(sys.argv[1] if len(sys.argv) > 1 else "tiny")
