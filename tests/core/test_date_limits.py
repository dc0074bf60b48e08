"""The dates the platform accepts (core.date_limits): 1 January 1900 to 31 December 2100."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, strategies as st
from marshmallow import Schema, ValidationError

from core import date_limits
from core.date_limits import AwareDateTime, Date


class Query(Schema):
    start = Date()
    at = AwareDateTime()


@pytest.mark.parametrize("text", ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"])
def test_a_date_outside_the_range_is_refused_naming_the_field(text):
    with pytest.raises(ValidationError) as exc:
        Query().load({"start": text})
    assert exc.value.messages == {"start": [date_limits.OUT_OF_RANGE]}
    with pytest.raises(date_limits.OutOfRange):
        date_limits.parse_date(text)


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00"])
def test_a_moment_outside_the_range_is_refused(text):
    with pytest.raises(ValidationError) as exc:
        Query().load({"at": text})
    assert list(exc.value.messages) == ["at"]


@pytest.mark.parametrize("text", ["1900-01-01", "2026-09-01", "2100-12-31"])
def test_the_ends_of_the_range_are_accepted(text):
    assert Query().load({"start": text})["start"] == dt.date.fromisoformat(text)
    assert date_limits.parse_date(text) == dt.date.fromisoformat(text)


@given(st.dates())
def test_any_date_is_accepted_exactly_when_inside_the_range(day):
    inside = date_limits.FIRST <= day <= date_limits.LAST
    try:
        assert Query().load({"start": day.isoformat()})["start"] == day
        assert inside
    except ValidationError:
        assert not inside


@given(st.text(max_size=30))
def test_any_text_is_a_date_in_range_or_a_validation_error(text):
    try:
        day = Query().load({"start": text})["start"]
    except ValidationError as exc:
        assert list(exc.messages) == ["start"]
    else:
        assert date_limits.within(day)


def test_every_schema_uses_the_limited_date_fields():
    """A new schema reaching for marshmallow's own date fields would let 9999-12-31 through."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    plain = re.compile(r"\bfields\.(Date|DateTime|AwareDateTime|NaiveDateTime)\(")
    found = [f"{path.relative_to(root)}:{n}" for folder in ("core", "plugins", "web")
             for path in sorted((root / folder).rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if plain.search(line)]
    # answers only (a transfer's event times, a receipt's due time): never read from a client
    outputs = {"plugins/transition/schemas.py", "plugins/encompass/api.py"}
    assert [f for f in found if f.split(":")[0] not in outputs] == []
