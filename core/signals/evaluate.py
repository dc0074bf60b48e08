"""The nightly evaluation of one school, incremental from its watermark, and the replay of
the rules over stored history.

Incremental: only pupils with an indicator dated after the last run (less
:data:`GRACE_DAYS`, since registers and notifications are often entered late) or with a
family link to another pupil can fire anew, so only they are evaluated, stored and have their
relatives' schools asked; the school's window of indicators is read once either way (the
sources answer by date, not by what changed since).
"""
from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calendar import calendar_for, london_today
from core.db import system_scope, utcnow
from core.models import Pupil, School
from core.signals import gather, store
from core.signals.engine import AlertCounter, Firing, evaluate_pupil
from core.signals.indicators_core import relative_indicators
from core.signals.models import SignalWatermark
from core.signals.rules import QUIET_KINDS, rules_for, window_of

GRACE_DAYS = 7


def _pupils_of(session: Session, school_id: int, on: dt.date) -> dict[int, int]:
    ids = session.scalars(select(Pupil.id).where(
        Pupil.school_id == school_id, Pupil.on_roll_from <= on,
        (Pupil.on_roll_to.is_(None)) | (Pupil.on_roll_to >= on - dt.timedelta(days=28))))
    return {pid: school_id for pid in ids}


def find_firings(session: Session, school_id: int, as_of: dt.date, *,
                 since: dt.date | None = None) -> tuple[list[Firing], dict]:
    """Every firing for the school's pupils on ``as_of`` (only pupils that may have changed
    since ``since``, when given), and the notices for linked children at other schools.
    Reads only; stores nothing."""
    trust_id = session.get(School, school_id).trust_id
    rules = rules_for(session, trust_id)
    start = as_of - dt.timedelta(days=window_of(rules))
    cal = calendar_for(session, school_id)
    school_of = _pupils_of(session, school_id, as_of)
    links = gather.family_links(session, set(school_of), trust_id)
    stats = {"pupils": len(school_of)}
    own = gather.by_pupil(gather.school_indicators(session, school_id, start, as_of))
    own = {p: v for p, v in own.items() if p in school_of}
    if since is not None:
        # one read of the window for the school; only pupils with an indicator dated since
        # the last run (less the grace for late entries) or with family are evaluated
        fresh = since - dt.timedelta(days=GRACE_DAYS)
        changed = {p for p, v in own.items() if any(i.date > fresh for i in v)} | set(links)
        school_of = {p: s for p, s in school_of.items() if p in changed}
        own = {p: v for p, v in own.items() if p in changed}
        links = {p: r for p, r in links.items() if p in school_of}
        stats["evaluated"] = len(school_of)
    merged, theirs, behind = gather.with_relatives(session, trust_id, own, school_of, start,
                                                   as_of, links)
    stats["indicators"] = sum(len(v) for v in own.values())
    firings = []
    for pid, inds in merged.items():
        firings += evaluate_pupil(rules, school_id, pid, inds, as_of, cal, behind)
    here = session.get(School, school_id).name
    window = max(int(r.get("window_days", 28)) for r in rules.values())
    own_kinds = _relative_rule_kinds(rules)
    notices = [n for f in firings
               for n in _notices(f, theirs, links, window, here, as_of, own_kinds)]
    return firings + notices, stats


def _relative_rule_kinds(rules: dict) -> set[str]:
    """The kinds that, beside a relative's indicator, make a rule fire for a child (so a
    relative who has one is told by their own school's evaluation, not by a notice)."""
    out: set[str] = set()
    for rule in rules.values():
        groups = rule.get("groups") or []
        if rule.get("enabled", True) and any("core.relative_elsewhere" in g for g in groups):
            out |= {k for g in groups for k in g if k != "core.relative_elsewhere"}
    return out


def _notices(firing: Firing, theirs: dict, links: dict, window: int, here: str,
             as_of: dt.date, own_kinds: set[str]) -> list[Firing]:
    """For a firing that a linked child at another school is part of: the same pattern told
    to that child's school, about that child (their own indicators, and one saying a linked
    child here has indicators, naming this school only)."""
    out = []
    for other, other_school in firing.relatives:
        mine = [i for i in theirs.get(other, []) if i.kind not in QUIET_KINDS
                and as_of - dt.timedelta(days=window - 1) <= i.date <= as_of]
        if own_kinds & {i.kind for i in mine}:
            continue  # their school's own evaluation finds this pattern for them

        relation = next((r for o, _, r, _ in links.get(firing.pupil_id, []) if o == other),
                        "other")
        back, _ = relative_indicators(other, other_school,
                                      [(firing.pupil_id, firing.school_id, relation, here)],
                                      {firing.pupil_id: list(firing.indicators)})
        if mine and back:
            out.append(Firing("linked_elsewhere", other_school, other, as_of,
                              tuple(mine + back[:1]), ((firing.pupil_id, firing.school_id),)))
    return out


def evaluate_school(session: Session, school_id: int, as_of: dt.date | None = None, *,
                    incremental: bool = True) -> dict:
    """Evaluate one school and store what is new: firings, their alerts, notices to linked
    children's schools, and the watermark. Idempotent: run twice, the second run adds
    nothing. Returns what it did."""
    t0 = time.perf_counter()
    as_of = as_of or london_today()
    mark = session.scalar(select(SignalWatermark).where(SignalWatermark.school_id == school_id))
    since = mark.evaluated_to if (incremental and mark is not None) else None
    firings, stats = find_firings(session, school_id, as_of, since=since)
    outcomes: dict[str, int] = defaultdict(int)
    for f in firings:
        if f.school_id == school_id:
            outcomes[store.record_firing(session, f)] += 1
        else:
            with system_scope(session, "signals: tell a linked child's school"):
                outcomes["notice_" + store.record_firing(session, f)] += 1
    result = {**stats, **outcomes, "as_of": as_of.isoformat(), "since": since.isoformat()
              if since else None, "seconds": round(time.perf_counter() - t0, 3)}
    if mark is None:
        mark = SignalWatermark(school_id=school_id, evaluated_to=as_of, result=result)
        session.add(mark)
    else:
        mark.evaluated_to, mark.ran_at, mark.result = max(as_of, mark.evaluated_to), utcnow(), result
    session.flush()
    return result


def nightly(school_id: int) -> dict:
    """The core's recurring job: one school, from its watermark to today."""
    from core.db import SYSTEM, current_database

    with current_database().transaction(SYSTEM) as s:
        return evaluate_school(s, school_id)


# --- replay --------------------------------------------------------------------------------

def replay_school(session: Session, school_id: int, start: dt.date, end: dt.date,
                  counter: AlertCounter | None = None) -> dict:
    """Run the rules over one school's stored history, day by day from ``start`` to ``end``
    (school days), as if the nightly job had run each day and the DSL had decided each alert.
    Stores nothing. Returns alerts per rule and the school's pupils on roll."""
    trust_id = session.get(School, school_id).trust_id
    rules = rules_for(session, trust_id)
    cal = calendar_for(session, school_id)
    first = start - dt.timedelta(days=window_of(rules))
    school_of = _pupils_of(session, school_id, end)
    own = gather.by_pupil(gather.school_indicators(session, school_id, first, end))
    own = {p: v for p, v in own.items() if p in school_of}
    merged, _, behind = gather.with_relatives(session, trust_id, own, school_of, first, end)
    counter = counter or AlertCounter()
    per_rule: dict[str, int] = defaultdict(int)
    days = cal.school_days(start, end)
    for pid, inds in merged.items():
        # a rule starts to match, or matches something new, only on a day an indicator is
        # dated: evaluating those days finds every alert the nightly runs would have raised
        for day in sorted({i.date for i in inds if start <= i.date <= end}):
            for f in evaluate_pupil(rules, school_id, pid, inds, day, cal, behind):
                if counter.see(f):
                    per_rule[f.rule] += 1
    return {"school_id": school_id, "pupils": len(school_of), "alerts": dict(per_rule),
            "school_days": len(days)}


def per_thousand_per_week(alerts: int, pupils: int, start: dt.date, end: dt.date) -> float:
    weeks = max(((end - start).days + 1) / 7, 1 / 7)
    return round(alerts / max(pupils, 1) * 1000 / weeks, 3)


def replay(session: Session, start: dt.date, end: dt.date, trust_id: int | None = None
           ) -> list[dict]:
    """Replay every school (of one trust, or all): per school and rule, alerts and alerts
    per 1,000 pupils per week."""
    stmt = select(School.id, School.name).order_by(School.name)
    if trust_id is not None:
        stmt = stmt.where(School.trust_id == trust_id)
    out = []
    for sid, name in session.execute(stmt).all():
        r = replay_school(session, sid, start, end)
        r["school"] = name
        r["rates"] = {rule: per_thousand_per_week(n, r["pupils"], start, end)
                      for rule, n in r["alerts"].items()}
        r["rate"] = per_thousand_per_week(sum(r["alerts"].values()), r["pupils"], start, end)
        out.append(r)
    return out
