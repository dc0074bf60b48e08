"""Register codes and what each counts as in the statistics.

Loaded from the reference tables in ``reference/`` (copied from official and vendor sources,
see ``reference/README.md``). Each code falls in one statistical category; the category says
whether the session is a possible one and whether it counts as attending or absent.
"""
from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REFERENCE = Path(__file__).parent / "reference"
# The 2024 regulations came into force on 19 August 2024: before it the older set applies.
NEW_CODES_FROM = dt.date(2024, 8, 19)

PRESENT = "present"
AEA = "approved educational activity"
AUTHORISED = "authorised absence"
UNAUTHORISED = "unauthorised absence"
NOT_POSSIBLE = "not a possible session"
UNABLE = "unable to attend"
ADMINISTRATIVE = "administrative"
CATEGORIES = (PRESENT, AEA, AUTHORISED, UNAUTHORISED, NOT_POSSIBLE, UNABLE, ADMINISTRATIVE)
# From 2024 "unable to attend due to exceptional circumstances" is not a possible session
# (the source table gives those codes "not a possible session").
POSSIBLE = frozenset({PRESENT, AEA, AUTHORISED, UNAUTHORISED})
LATE_BEFORE_CLOSE = "L"
LATE_AFTER_CLOSE = "U"


@dataclass(frozen=True)
class Code:
    code: str
    meaning: str
    category: str

    @property
    def possible(self) -> bool:
        return self.category in POSSIBLE

    @property
    def attending(self) -> bool:
        return self.category in (PRESENT, AEA)

    @property
    def absent(self) -> bool:
        return self.category in (AUTHORISED, UNAUTHORISED)


def _category(row: dict) -> str:
    """The plugin's category for a row of the 2024 table: the table's own category, with the
    'unable to attend' and administrative codes told apart from other not-possible sessions
    by their meaning and note."""
    cat = row["category"].strip()
    if "administrative code" in row.get("note", ""):
        return ADMINISTRATIVE
    if row["meaning"].startswith("Unable to attend") or row["code"] == "Q":
        return UNABLE
    if cat not in CATEGORIES:
        raise ValueError(f"code {row['code']}: unknown category {cat!r}")
    return cat


@lru_cache(maxsize=1)
def codes() -> dict[str, Code]:
    """The codes in force from August 2024, by code."""
    with open(REFERENCE / "attendance_codes_from_2024-08.csv", encoding="utf-8", newline="") as f:
        return {r["code"]: Code(r["code"], r["meaning"], _category(r)) for r in csv.DictReader(f)}


@lru_cache(maxsize=1)
def old_code_map() -> dict[str, str]:
    """Pre-August-2024 code -> the 2024 code it is stored as."""
    with open(REFERENCE / "attendance_codes_before_2024-08.csv", encoding="utf-8",
              newline="") as f:
        old = {r["code"] for r in csv.DictReader(f)}
    with open(REFERENCE / "pre2024_code_map.csv", encoding="utf-8", newline="") as f:
        mapping = {r["old_code"]: r["new_code"] for r in csv.DictReader(f)}
    missing = old - set(mapping)
    if missing or set(mapping.values()) - set(codes()):
        raise ValueError(f"pre-2024 mapping incomplete: {sorted(missing)}")
    return mapping


WITHDRAWN_2024 = frozenset({"F", "H", "J", "Y"})  # old codes with no place in the 2024 set


def normalise(raw: str, day: dt.date) -> tuple[str | None, str | None]:
    """The stored 2024 code for a mark written ``raw`` on ``day``, or (None, problem).

    Marks before 19 August 2024 may use the older set (mapped onto the new one) or the new one;
    from that date only the 2024 codes are valid."""
    code = raw.strip()
    if code.upper() in codes():
        code = code.upper()
    elif code.upper() in old_code_map():
        code = code.upper()
    if code in codes() and not (day >= NEW_CODES_FROM and code in WITHDRAWN_2024):
        return code, None
    if day < NEW_CODES_FROM and code in old_code_map():
        return old_code_map()[code], None
    if code in WITHDRAWN_2024:
        return None, f"code {code} was withdrawn on 19 August 2024"
    if not code:
        return None, "no code given"
    return None, f"{code!r} is not a register code"


def codes_in(*categories: str) -> list[str]:
    return sorted(c.code for c in codes().values() if c.category in categories)
