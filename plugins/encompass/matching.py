"""Matching a child named by the police to a pupil on the roll.

Police systems spell names their own way: accents dropped, hyphens turned into spaces, a
double-barrelled surname shortened, a nickname the family uses. Matching is therefore
tolerant on names and strict on the date of birth: a name must be close and the date of
birth must be the same. A day/month swap (03/07 for 07/03), a missing date of birth or more
than one close pupil is never decided by the machine: the child waits for the DSL.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Iterable

from core import names

_JOINERS = re.compile(r"[\s\-\u2010-\u2015_.,/]+")
_DROPPED = re.compile(r"['\u2018\u2019\u02bc`\u00b4]")
_NOT_LETTER = re.compile(r"[^a-z ]")


def fold(text: str) -> str:
    """Case-fold and strip accents (é→e, ø→o, ß→ss), so spellings compare by their letters:
    the core's one folding (:func:`core.names.fold`), which pupil search uses too."""
    return names.fold(text)


def normalise(name: str) -> str:
    """A name as comparable words: folded, apostrophes dropped (O'Neil = ONeil), hyphens,
    dots and runs of spaces made one space, anything but letters removed."""
    text = _DROPPED.sub("", fold(name))
    text = _JOINERS.sub(" ", text)
    text = _NOT_LETTER.sub("", text)
    return " ".join(text.split())


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance, giving up (returning ``limit + 1``) once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def close(a: str, b: str) -> bool:
    """Two normalised words are the same name give or take a typing slip: identical, or one
    edit apart for names of 4 letters or more (two for 8 or more). Short names must be
    exact, since "Ben" and "Ken" are different children."""
    if a == b:
        return True
    shorter = min(len(a), len(b))
    if shorter < 4:
        return False
    allowed = 2 if shorter >= 8 else 1
    return edit_distance(a, b, allowed) <= allowed


def surname_matches(given: str, on_roll: str) -> bool:
    """Surnames match when close written together ("Smith-Jones" = "Smith Jones" =
    "Smithjones"), or when one is exactly a whole part of the other's double-barrelled
    name ("Jones" for "Smith-Jones"; a slip there as well would be too loose)."""
    g, r = normalise(given), normalise(on_roll)
    if not g or not r:
        return False
    if close(g.replace(" ", ""), r.replace(" ", "")):
        return True
    g_parts, r_parts = g.split(), r.split()
    if len(g_parts) > 1 or len(r_parts) > 1:
        return any(x == y for x in g_parts for y in r_parts if len(x) >= 3)
    return False


def forename_matches(given: str, first: str, preferred: str | None) -> bool:
    """The police's forename matches the pupil's legal first name, their preferred name, or
    the first word of either (a middle name is often left out)."""
    g = normalise(given)
    if not g:
        return False
    options = {normalise(first), normalise(preferred or "")} - {""}
    for opt in list(options):
        options.add(opt.split()[0])
    g_first = g.split()[0]
    return any(close(g.replace(" ", ""), o.replace(" ", "")) or close(g_first, o)
               for o in options)


def dob_relation(given: dt.date | None, on_roll: dt.date) -> str:
    """``same``, ``swapped`` (day and month transposed: a US-style date), ``unknown`` (none
    given) or ``different``."""
    if given is None:
        return "unknown"
    if given == on_roll:
        return "same"
    if given.year == on_roll.year and given.day == on_roll.month and given.month == on_roll.day:
        return "swapped"
    return "different"


@dataclass(frozen=True)
class Candidate:
    pupil_id: int
    first_name: str
    last_name: str
    preferred_name: str | None
    date_of_birth: dt.date


@dataclass
class MatchResult:
    state: str  # matched | ambiguous | unmatched
    pupil_id: int | None = None
    candidates: list[int] = field(default_factory=list)
    reason: str = ""


def match_child(first_name: str, last_name: str, dob: dt.date | None,
                pupils: Iterable[Candidate]) -> MatchResult:
    """Decide which pupil, if any, a named child is. Only one pupil with a close name *and*
    the same date of birth is a match; anything less certain is ``ambiguous`` (the DSL
    chooses among ``candidates``) or ``unmatched``."""
    sure: list[int] = []
    unsure: list[int] = []
    for p in pupils:
        if not surname_matches(last_name, p.last_name):
            continue
        if not forename_matches(first_name, p.first_name, p.preferred_name):
            continue
        rel = dob_relation(dob, p.date_of_birth)
        if rel == "same":
            sure.append(p.pupil_id)
        elif rel in ("swapped", "unknown"):
            unsure.append(p.pupil_id)
    if len(sure) == 1:
        return MatchResult("matched", sure[0], sure, "name and date of birth match")
    if len(sure) > 1:
        return MatchResult("ambiguous", None, sure, "more than one pupil matches")
    if unsure:
        return MatchResult("ambiguous", None, unsure,
                           "date of birth missing or day and month swapped")
    return MatchResult("unmatched", None, [], "no pupil of this school matches")
