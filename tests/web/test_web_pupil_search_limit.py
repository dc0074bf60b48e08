"""A pupil search longer than anyone types is refused with the limit named, on the roll page
and through the core, before it reaches the database; the longest allowed search still runs."""
from __future__ import annotations

import pytest

from core import pupils
from core.errors import ValidationError


def test_the_core_refuses_a_search_over_the_limit_and_names_the_field(session, world,
                                                                       make_user):
    _, dsl = make_user("dsl", school=world.school)
    longest = "a" * pupils.MAX_SEARCH
    assert pupils.search_pupils(session, dsl, world.school.id, longest) == []
    with pytest.raises(ValidationError) as err:
        pupils.search_pupils(session, dsl, world.school.id, longest + "a")
    assert f"at most {pupils.MAX_SEARCH} characters" in err.value.errors["q"][0]


def test_the_roll_page_answers_422_with_the_limit(client, as_role, world):
    as_role("dsl")
    answer = client.get(f"/schools/{world.school.id}/pupils", query_string={
        "q": "x" * (pupils.MAX_SEARCH + 1)})
    assert answer.status_code == 422
    assert f"at most {pupils.MAX_SEARCH} characters" in answer.get_data(as_text=True)
    found = client.get(f"/schools/{world.school.id}/pupils",
                       query_string={"q": world.pupil.last_name})
    assert found.status_code == 200 and world.pupil.first_name in found.get_data(as_text=True)


def test_a_search_too_long_on_the_record_page_keeps_what_was_typed(client, as_role, world):
    from tests.web.conftest import CSRF_VALUE

    as_role("staff")
    fact = "Said she was scared to go home tonight."
    answer = client.post(f"/schools/{world.school.id}/concerns/new", data={
        "csrf_token": CSRF_VALUE, "action": "search", "q": "y" * (pupils.MAX_SEARCH + 1),
        "fact": fact})
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert f"at most {pupils.MAX_SEARCH} characters" in body
    assert fact in body  # nothing typed is lost
    typed = client.get(f"/schools/{world.school.id}/concerns/pupil-search",
                       query_string={"q": "z" * (pupils.MAX_SEARCH + 1)})
    assert typed.status_code == 422 and "q" in typed.get_json()["errors"]
