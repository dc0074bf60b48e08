"""One way to load a school's row by id: ``core.db.get_in_school`` (404 for a missing row and
for another school's alike) and ``find_in_school`` (None), instead of the check hand-written
after every ``session.get``."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.db import find_in_school, get_in_school, system_scope
from core.errors import NotFound
from core.models import Pupil

ROOT = Path(__file__).resolve().parents[2]

# Not the pattern, though it reads like it: a membership is not a school row (a trust role
# has none), it is checked against the trust too, and the admin page answers its own 404.
NOT_A_SCHOOL_ROW = {"web/views/admin/people.py"}

# x = session.get(Model, id) followed by "if x is None or ... x.school_id != school_id"
_GET_THEN_CHECK = re.compile(
    r"(\w+) = \w+\.get\(\w+, \w+\)\n\s*if \1 is None or [^\n]*\b\1\.school_id != school_id\b")
# x = session.scalar(select(Model).where(Model.id == id, Model.school_id == school_id))
# followed by "if x is None"
_SELECT_THEN_CHECK = re.compile(
    r"(\w+) = \w+\.scalar\(select\((\w+)\)\.where\(\2\.id == \w+,\s*"
    r"\2\.school_id == school_id\)\)\n\s*if \1 is None")


def test_a_row_of_the_school_is_returned(session, make_school, make_pupil):
    school = make_school()
    pupil = make_pupil(school)
    assert get_in_school(session, Pupil, pupil.id, school.id, "pupil") is pupil
    assert find_in_school(session, Pupil, pupil.id, school.id) is pupil


def test_another_schools_row_is_not_found(session, make_trust, make_school, make_pupil):
    trust = make_trust()
    here, there = make_school(trust), make_school(trust)
    theirs = make_pupil(there)
    # the system session sees every school: the helper checks the school itself
    with pytest.raises(NotFound, match="^pupil$"):
        get_in_school(session, Pupil, theirs.id, here.id, "pupil")
    assert find_in_school(session, Pupil, theirs.id, here.id) is None


def test_a_missing_row_is_not_found_the_same_way(session, make_school):
    school = make_school()
    with pytest.raises(NotFound, match="^pupil$"):
        get_in_school(session, Pupil, 987654321, school.id, "pupil")
    assert find_in_school(session, Pupil, 987654321, school.id) is None


def test_a_row_already_loaded_from_another_school_is_still_refused(
        db, make_trust, make_school, make_pupil, make_user):
    trust = make_trust()
    here, there = make_school(trust), make_school(trust)
    theirs = make_pupil(there)
    _, dsl = make_user("dsl", here)
    with db.session(dsl.scope()) as s:
        with system_scope(s, "test: load another school's pupil"):
            assert s.get(Pupil, theirs.id) is not None  # now in the identity map
        with pytest.raises(NotFound):
            get_in_school(s, Pupil, theirs.id, here.id, "pupil")


def test_the_load_and_check_pattern_is_not_written_by_hand():
    found = []
    for top in ("core", "plugins", "web"):
        for path in sorted((ROOT / top).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name in NOT_A_SCHOOL_ROW:
                continue
            text = path.read_text(encoding="utf-8")
            for pattern in (_GET_THEN_CHECK, _SELECT_THEN_CHECK):
                for m in pattern.finditer(text):
                    line = text.count("\n", 0, m.start()) + 1
                    found.append(f"{name}:{line}: use core.db.get_in_school")
    assert found == []
