"""Pupil search through the pages: the pupils list and the record page's pupil picker (and
its search-as-you-type JSON) find names as people type them; % and _ are literal."""
from __future__ import annotations

import pytest


@pytest.fixture
def names(world, make_pupil):
    for first, last in (("Zoë", "Adams"), ("Siobhán", "O'Brien"), ("Chloé", "Smith-Jones")):
        make_pupil(world.school, first_name=first, last_name=last)


@pytest.mark.parametrize("typed, expected", [
    ("zoe", "Adams, Zoë"), ("siobhan", "O&#39;Brien, Siobhán"),
    ("O\u2019Brien", "O&#39;Brien, Siobhán"), ("obrien", "O&#39;Brien, Siobhán"),
    ("smith jones", "Smith-Jones, Chloé"), ("smithjones", "Smith-Jones, Chloé"),
    ("CHLOE", "Smith-Jones, Chloé")])
def test_the_pupils_list_finds_names_as_typed(client, as_role, world, names, typed, expected):
    as_role("dsl")
    body = client.get(f"/schools/{world.school.id}/pupils",
                      query_string={"q": typed}).get_data(as_text=True)
    assert expected in body
    assert body.count("<tr>") == 2  # the header and the one pupil found


def test_the_pupils_list_takes_per_cent_literally(client, as_role, world, names):
    as_role("dsl")
    for typed in ("%", "_", "o%"):
        body = client.get(f"/schools/{world.school.id}/pupils",
                          query_string={"q": typed}).get_data(as_text=True)
        assert "No pupil matches" in body and "Okafor" not in body, typed


def test_the_record_page_picker_finds_names_as_typed(client, as_role, world, names):
    as_role("staff")
    search = f"/schools/{world.school.id}/concerns/pupil-search"
    found = client.get(search, query_string={"q": "o\u2019brien"}).get_json()["pupils"]
    assert [p["legal_name"] for p in found] == ["Siobhán O'Brien"]
    assert client.get(search, query_string={"q": "%%"}).get_json() == {"pupils": []}
    # without JavaScript: the page's own search button
    page = client.get(f"/schools/{world.school.id}/concerns/new",
                      query_string={"q": "zoe adams"}).get_data(as_text=True)
    assert "Zoë Adams" in page
