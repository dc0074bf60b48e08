"""The API's pupil search (``q``) finds names as people type them; % and _ are literal."""
from __future__ import annotations

import pytest


@pytest.fixture
def roll(make_school, make_pupil):
    school = make_school()
    for first, last in (("Zoë", "Adams"), ("Siobhán", "O'Brien"), ("Chloé", "Smith-Jones"),
                        ("Amelia", "Okafor")):
        make_pupil(school, first_name=first, last_name=last)
    return school


@pytest.mark.parametrize("typed, expected", [
    ("zoe", ["Adams"]), ("chloe", ["Smith-Jones"]), ("siobhan", ["O'Brien"]),
    ("obrien", ["O'Brien"]), ("O\u2019Brien", ["O'Brien"]), ("smith jones", ["Smith-Jones"]),
    ("smithjones", ["Smith-Jones"]), ("%", []), ("_", []), ("a%", [])])
def test_search_finds_names_as_typed(caller, roll, typed, expected):
    r = caller("staff", roll).get(f"/api/v1/schools/{roll.id}/pupils", query_string={"q": typed})
    assert r.status_code == 200
    assert [p["last_name"] for p in r.get_json()["items"]] == expected


def test_an_overlong_search_is_refused_naming_the_field(caller, roll):
    r = caller("staff", roll).get(f"/api/v1/schools/{roll.id}/pupils",
                                  query_string={"q": "x" * 101})
    assert r.status_code == 422 and "q" in r.get_json()["errors"]["query"]
