"""Name normalisation and matching: properties over many names (hypothesis) and the cases
that must and must not match."""
from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import given, strategies as st

from plugins.encompass.matching import (Candidate, close, dob_relation, edit_distance, fold,
                                        forename_matches, match_child, normalise,
                                        surname_matches)

letters = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)
names = st.lists(letters, min_size=1, max_size=3).map(" ".join)
ACCENTS = ["\u0301", "\u0300", "\u0308", "\u0302", "\u0327"]  # acute, grave, umlaut, circumflex, cedilla


@given(names)
def test_normalise_is_idempotent(name):
    assert normalise(normalise(name)) == normalise(name)


@given(names)
def test_case_does_not_matter(name):
    assert normalise(name.upper()) == normalise(name.title()) == normalise(name)


@given(names, st.lists(st.sampled_from(ACCENTS), min_size=1, max_size=3), st.data())
def test_accents_do_not_matter(name, marks, data):
    i = data.draw(st.integers(0, len(name) - 1))
    if name[i] == " ":
        return
    accented = unicodedata.normalize("NFC", name[:i + 1] + "".join(marks) + name[i + 1:])
    assert normalise(accented) == normalise(name)


@given(st.lists(letters, min_size=2, max_size=3),
       st.sampled_from(["-", " ", " - ", "\u2010", "  "]))
def test_hyphens_and_spaces_are_the_same_joiner(parts, joiner):
    assert normalise(joiner.join(parts)) == " ".join(parts)


@given(letters, letters)
def test_edit_distance_is_symmetric_and_zero_only_for_equal(a, b):
    assert edit_distance(a, b, 20) == edit_distance(b, a, 20)
    assert (edit_distance(a, b, 20) == 0) == (a == b)


@given(st.text(alphabet="abcdefghij", min_size=4, max_size=10), st.integers(0, 9),
       st.sampled_from("klmnop"))
def test_one_typing_slip_in_a_long_enough_name_is_close(name, pos, ch):
    pos %= len(name)
    slipped = name[:pos] + ch + name[pos + 1:]
    assert close(name, slipped)


def test_fold_handles_letters_that_do_not_decompose():
    assert fold("Søren Łukasz Æthelred") == "soren lukasz aethelred"


def test_apostrophes_are_dropped_not_spaced():
    assert normalise("O'Neil") == normalise("O\u2019Neil") == normalise("ONeil") == "oneil"


# --- must match / must not match -----------------------------------------------------------

DOB = dt.date(2016, 4, 7)
ROLL = [
    Candidate(1, "Amelia", "Smith-Jones", None, DOB),
    Candidate(2, "Zoë", "Brontë", None, dt.date(2015, 11, 2)),
    Candidate(3, "Alexander", "O'Neil", "Alex", dt.date(2014, 1, 20)),
    Candidate(4, "Mary Ann", "Kowalczyk", None, dt.date(2017, 6, 30)),
    Candidate(5, "Ben", "Taylor", None, dt.date(2018, 3, 3)),
    Candidate(6, "Oliver", "Wright", None, dt.date(2013, 9, 9)),
    Candidate(7, "Olivia", "Wright", None, dt.date(2013, 9, 9)),  # twins
]


@pytest.mark.parametrize("first,last,dob,pupil", [
    ("Amelia", "Smith Jones", DOB, 1),          # hyphen dropped
    ("Amelia", "SmithJones", DOB, 1),           # run together
    ("amelia", "JONES", DOB, 1),                # one half of the double-barrelled name
    ("Amelie", "Smith-Jones", DOB, 1),          # one-letter slip
    ("Zoe", "Bronte", dt.date(2015, 11, 2), 2),  # accents dropped
    ("Alex", "O Neil", dt.date(2014, 1, 20), 3),  # preferred name, apostrophe as space
    ("Alexandre", "ONeill", dt.date(2014, 1, 20), 3),  # two slips in a long name
    ("Mary", "Kowalczyk", dt.date(2017, 6, 30), 4),  # middle name left out
    ("Ben", "Tailor", dt.date(2018, 3, 3), 5),   # short forename exact, surname slip
    ("Oliver", "Wright", dt.date(2013, 9, 9), 6),  # twin told apart by forename
])
def test_must_match(first, last, dob, pupil):
    result = match_child(first, last, dob, ROLL)
    assert (result.state, result.pupil_id) == ("matched", pupil)


@pytest.mark.parametrize("first,last,dob", [
    ("Amelia", "Smith-Jones", dt.date(2016, 4, 8)),   # date of birth differs by a day
    ("Amelia", "Smyth-Johnson", DOB),                 # too many changes
    ("Emily", "Smith-Jones", DOB),                    # a different forename
    ("Ken", "Taylor", dt.date(2018, 3, 3)),           # short names must be exact
    ("Olga", "Wright", dt.date(2013, 9, 9)),
    ("Amelia", "Brown", DOB),                         # another family
])
def test_must_not_match(first, last, dob):
    result = match_child(first, last, dob, ROLL)
    assert result.state == "unmatched" and result.pupil_id is None


def test_day_month_swap_waits_for_the_dsl():
    result = match_child("Amelia", "Smith-Jones", dt.date(2016, 7, 4), ROLL)
    assert (result.state, result.pupil_id, result.candidates) == ("ambiguous", None, [1])


def test_missing_date_of_birth_waits_for_the_dsl():
    result = match_child("Amelia", "Smith-Jones", None, ROLL)
    assert (result.state, result.candidates) == ("ambiguous", [1])


def test_two_equally_good_pupils_are_ambiguous():
    roll = ROLL + [Candidate(8, "Amelia", "Smith-Jones", None, DOB)]
    result = match_child("Amelia", "Smith-Jones", DOB, roll)
    assert (result.state, sorted(result.candidates)) == ("ambiguous", [1, 8])


def test_dob_relation_cases():
    assert dob_relation(dt.date(2016, 4, 7), dt.date(2016, 7, 4)) == "swapped"
    assert dob_relation(dt.date(2016, 4, 4), dt.date(2016, 4, 4)) == "same"
    assert dob_relation(dt.date(2015, 7, 4), dt.date(2016, 4, 7)) == "different"


def test_forename_and_surname_helpers():
    assert forename_matches("Alex", "Alexander", "Alex")
    assert not forename_matches("Sasha", "Alexander", "Alex")
    assert surname_matches("Jones", "Smith-Jones")
    assert not surname_matches("Jo", "Smith-Jo")  # two-letter parts never match alone
