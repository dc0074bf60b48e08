"""The dates the platform accepts from anyone: 1 January 1900 to 31 December 2100.

Every date a client sends (API query and body, page forms, imported files) is checked here,
so a year like 9999 or 0001 is refused naming its field rather than overflowing a date sum
(a week later, an academic year, a time zone) into a server error. The range holds every
date of birth of a living person and every school date the records could need.

:class:`Date` is the marshmallow field every schema uses instead of ``fields.Date``;
:func:`parse_date` reads ISO text for page forms and importers; :func:`check` tests a date
already made.
"""
from __future__ import annotations

import datetime as dt

from marshmallow import ValidationError, fields

FIRST = dt.date(1900, 1, 1)
LAST = dt.date(2100, 12, 31)
OUT_OF_RANGE = "must be between 1 January 1900 and 31 December 2100"


class OutOfRange(ValueError):
    """A real date, outside the accepted range (its message is :data:`OUT_OF_RANGE`)."""


def within(day: dt.date) -> bool:
    """Whether ``day`` (or a datetime's day) is inside the accepted range."""
    if isinstance(day, dt.datetime):
        day = day.date()
    return FIRST <= day <= LAST


def check(day: dt.date | None) -> dt.date | None:
    """``day`` itself, or :class:`OutOfRange` when outside the range."""
    if day is not None and not within(day):
        raise OutOfRange(OUT_OF_RANGE)
    return day


def parse_date(text: str) -> dt.date:
    """An ISO date (YYYY-MM-DD) inside the range; :class:`OutOfRange` for a date outside
    it, ValueError for text that is not a date."""
    return check(dt.date.fromisoformat(text))


class Date(fields.Date):
    """``fields.Date`` that refuses a date outside 1900 to 2100 (422 naming the field)."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not within(day):
            raise ValidationError(OUT_OF_RANGE)
        return day


class DateTime(fields.DateTime):
    """``fields.DateTime`` that refuses a moment outside 1900 to 2100."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not within(moment):
            raise ValidationError(OUT_OF_RANGE)
        return moment


class AwareDateTime(fields.AwareDateTime):
    """``fields.AwareDateTime`` that refuses a moment outside 1900 to 2100."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not within(moment):
            raise ValidationError(OUT_OF_RANGE)
        return moment
