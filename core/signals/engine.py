"""Evaluating the rules: pure functions over indicators, no database.

Each rule type of :mod:`core.signals.rules` is one function here taking the rule's
parameters, one pupil's indicators (oldest first), the day of the evaluation and the school's
calendar, and answering the indicators behind a match (or an empty list). The nightly job,
the replay command and the tests all call :func:`evaluate_pupil`; nothing else decides
whether a rule fired.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from core.calendar import SchoolCalendar
from core.contributions import Indicator


@dataclass(frozen=True)
class Firing:
    """A rule matched one pupil on ``as_of``: ``indicators`` are every one behind it;
    ``relatives`` the linked children at other schools among them (``(pupil_id,
    school_id)``), whose detail stays with their school."""

    rule: str
    school_id: int
    pupil_id: int
    as_of: dt.date
    indicators: tuple[Indicator, ...]
    relatives: tuple[tuple[int, int], ...] = field(default=())

    @property
    def pattern_key(self) -> str:
        return f"{self.rule}:{self.pupil_id}"

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(i.key for i in self.indicators)


def _recent(inds: list[Indicator], as_of: dt.date, days: int) -> list[Indicator]:
    start = as_of - dt.timedelta(days=days - 1)
    return [i for i in inds if start <= i.date <= as_of]


def distinct_kinds(rule: dict, inds: list[Indicator], as_of: dt.date,
                   cal: SchoolCalendar) -> list[Indicator]:
    """``min_kinds`` or more different kinds (other than ``exclude``) within the last
    ``window_days`` days; the kinds of a source in ``one_kind_per_source`` count as one."""
    quiet = set(rule.get("exclude", ()))
    merged = set(rule.get("one_kind_per_source", ()))
    found = [i for i in _recent(inds, as_of, int(rule["window_days"])) if i.kind not in quiet]
    kinds = {i.source if i.source in merged else i.kind for i in found}
    return found if len(kinds) >= int(rule["min_kinds"]) else []


def sequence(rule: dict, inds: list[Indicator], as_of: dt.date,
             cal: SchoolCalendar) -> list[Indicator]:
    """An indicator of a ``first`` kind followed by one of a ``then`` kind on one of the
    next ``within_school_days`` school days (the school's own calendar: weekends, holidays
    and closures are skipped), the second within the last four weeks."""
    firsts = [i for i in inds if i.kind in rule["first"] and i.date <= as_of]
    thens = [i for i in _recent(inds, as_of, 28) if i.kind in rule["then"]]
    if not firsts or not thens:
        return []
    out: list[Indicator] = []
    n = int(rule["within_school_days"])
    for f in firsts:
        days, d = set(), f.date
        for _ in range(n):
            d = cal.next_school_day(d, limit_days=30)
            if d is None:
                break
            days.add(d)
        hits = [t for t in thens if t.date in days]
        if hits:
            out += [f] + [h for h in hits if h not in out]
    return out


def all_of(rule: dict, inds: list[Indicator], as_of: dt.date,
           cal: SchoolCalendar) -> list[Indicator]:
    """At least one indicator of each group's kinds within the last ``window_days`` days."""
    recent = _recent(inds, as_of, int(rule["window_days"]))
    matched = []
    for group in rule["groups"]:
        hits = [i for i in recent if i.kind in group]
        if not hits:
            return []
        matched += hits
    return matched


EVALUATORS: dict[str, Callable[[dict, list[Indicator], dt.date, SchoolCalendar],
                               list[Indicator]]] = {
    "distinct_kinds": distinct_kinds, "sequence": sequence, "all_of": all_of}


def evaluate_pupil(rules: dict[str, dict], school_id: int, pupil_id: int,
                   inds: list[Indicator], as_of: dt.date, cal: SchoolCalendar,
                   relatives_of: dict[str, tuple[int, int]] | None = None) -> list[Firing]:
    """Every enabled rule that matches the pupil's indicators on ``as_of``.
    ``relatives_of`` maps a relative indicator's key to the ``(pupil_id, school_id)`` it
    stands for."""
    inds = sorted(inds, key=lambda i: (i.date, i.kind))
    out = []
    for key, rule in rules.items():
        if not rule.get("enabled", True):
            continue
        behind = EVALUATORS[rule["type"]](rule, inds, as_of, cal)
        if not behind:
            continue
        rel = sorted({relatives_of[i.key] for i in behind
                      if relatives_of and i.key in relatives_of})
        out.append(Firing(key, school_id, pupil_id, as_of, tuple(behind), tuple(rel)))
    return out


class AlertCounter:
    """What the alerts would have been over a run of days, as the DSL would have seen them:
    a pattern alerts the first time it fires and again only when an indicator it had not
    shown before arrives (a decision is assumed to cover what the alert showed)."""

    def __init__(self) -> None:
        self.covered: dict[tuple[int, str], frozenset[str]] = {}
        self.alerts: list[Firing] = []

    def see(self, firing: Firing) -> bool:
        key = (firing.school_id, firing.pattern_key)
        seen = self.covered.get(key, frozenset())
        if firing.keys <= seen:
            return False
        self.covered[key] = seen | firing.keys
        self.alerts.append(firing)
        return True
