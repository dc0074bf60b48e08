"""Unique Pupil Number validation with the DfE check-letter rule.

Rule from the UK Government Data Standards Catalogue, "Unique Pupil Number" v2.0 (DfE): 13
characters; character 1 a check letter; 2-4 the LA code; 5-8 the establishment number; 9-10
the year of allocation; 11-13 serial digits (a temporary UPN ends in a letter). The check letter
is sum(position * value) over characters 2-13, mod 23, mapped to A-Z without I, O and S. The LA
codes accepted are the 191 listed in ``reference/upn_la_codes.csv`` (copied from the DfE MTC
service, see shared reference notes).
"""
from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O or S
_VALUE = {ch: i for i, ch in enumerate(LETTERS)}


@cache
def la_codes() -> frozenset[str]:
    path = Path(__file__).parent / "reference" / "upn_la_codes.csv"
    with path.open(newline="") as fh:
        return frozenset(row["la_code"] for row in csv.DictReader(fh))


def check_letter(body: str) -> str:
    """The check letter for characters 2-13 (``body``, 12 characters)."""
    total = 0
    for pos, ch in enumerate(body, start=2):
        total += pos * (int(ch) if ch.isdigit() else _VALUE[ch])
    return LETTERS[total % 23]


def upn_problem(upn: str) -> str | None:
    """Why ``upn`` is not a valid UPN, or ``None`` when it is."""
    if len(upn) != 13:
        return f"must be 13 characters, not {len(upn)}"
    if upn != upn.upper():
        return "must be in capital letters"
    if not upn[1:12].isdigit():
        return "characters 2 to 12 must be digits"
    last = upn[12]
    if not (last.isdigit() or last in _VALUE):
        return "the last character must be a digit or a letter other than I, O or S"
    if upn[1:4] not in la_codes():
        return f"{upn[1:4]} is not a recognised local authority code"
    expected = check_letter(upn[1:])
    if upn[0] != expected:
        return f"check letter should be {expected}, not {upn[0]}"
    return None


def is_valid_upn(upn: str) -> bool:
    return upn_problem(upn) is None


def make_upn(la_code: str, establishment: str, year: int, serial: int) -> str:
    """Build a valid permanent UPN (used by the demo data)."""
    body = f"{la_code}{establishment}{year % 100:02d}{serial:03d}"
    return check_letter(body) + body
