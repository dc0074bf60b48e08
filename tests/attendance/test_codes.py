"""The code table as loaded, checked code by code against the statutory categories (the
low-confidence rows of the reference table included), and the pre-2024 mapping."""
import datetime as dt

import pytest

from plugins.attendance.codes import codes, normalise

EXPECTED = {
    "present": {"/", "\\", "L"},
    "approved educational activity": {"K", "V", "P", "W", "B"},
    "authorised absence": {"C1", "C2", "C", "M", "T", "R", "I", "J1", "S", "E"},
    "unauthorised absence": {"N", "G", "O", "U"},
    "not a possible session": {"D", "X"},
    "unable to attend": {"Q", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7"},
    "administrative": {"Z", "#"},
}


def test_every_2024_code_has_its_statutory_category():
    got = {}
    for c in codes().values():
        got.setdefault(c.category, set()).add(c.code)
    assert got == EXPECTED


def test_possible_and_attending_follow_the_category():
    t = codes()
    assert t["L"].attending and t["L"].possible
    assert t["U"].absent and t["U"].possible  # late after registers close: unauthorised
    assert not t["Y1"].possible and not t["D"].possible and not t["Z"].possible
    assert t["B"].attending and not t["B"].absent


@pytest.mark.parametrize("raw,day,expected", [
    ("H", dt.date(2024, 3, 4), "C"),     # agreed holiday -> leave of absence
    ("J", dt.date(2024, 3, 4), "J1"),    # interview
    ("Y", dt.date(2024, 3, 4), "Y7"),    # unable to attend, other cause
    ("F", dt.date(2023, 10, 2), "C"),
    ("n", dt.date(2025, 9, 8), "N"),     # lower case is accepted
    ("C1", dt.date(2025, 9, 8), "C1"),
])
def test_codes_are_normalised_to_the_2024_set(raw, day, expected):
    assert normalise(raw, day) == (expected, None)


@pytest.mark.parametrize("raw", ["H", "J", "Y", "F"])
def test_withdrawn_codes_are_refused_from_19_august_2024(raw):
    code, problem = normalise(raw, dt.date(2024, 8, 19))
    assert code is None and "withdrawn" in problem


def test_unknown_code_is_refused():
    assert normalise("Q9", dt.date(2025, 9, 8)) == (None, "'Q9' is not a register code")
