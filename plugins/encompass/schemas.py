"""Marshmallow schemas for a notification, whichever way it arrives (API, form, upload).

Everything a force might leave out is optional; only a child (a first and last name) and
the incident date are required. Fields are bounded in length and refuse markup, so a
hostile payload is turned away with a message naming each bad field rather than stored.
"""
from __future__ import annotations

import datetime as dt
import re

from marshmallow import RAISE, Schema, ValidationError as MmValidationError, fields, validate, \
    validates_schema

from core.calendar import LONDON
from core.date_limits import AwareDateTime, Date
from core.errors import ValidationError

_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!?]|javascript:", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
URN = re.compile(r"^\d{6}$")


def plain_text(value: str) -> None:
    """Refuse markup (``<script>``, tags, ``javascript:``) and control characters."""
    if _MARKUP.search(value):
        raise MmValidationError("must be plain text: markup such as <tags> is not accepted")
    if _CONTROL.search(value):
        raise MmValidationError("contains control characters")


def text(max_len: int, required: bool = False) -> fields.Str:
    return fields.Str(required=required, allow_none=not required,
                      validate=[validate.Length(max=max_len), plain_text])


class ChildSchema(Schema):
    class Meta:
        unknown = RAISE

    first_name = fields.Str(required=True, validate=[validate.Length(min=1, max=100), plain_text])
    last_name = fields.Str(required=True, validate=[validate.Length(min=1, max=100), plain_text])
    date_of_birth = Date(allow_none=True)
    address = text(300)

    @validates_schema
    def _dob_in_past(self, data, **kwargs):
        dob = data.get("date_of_birth")
        if dob is not None and (dob > dt.date.today() or dob.year < 1990):
            raise MmValidationError("must be a real date of birth", "date_of_birth")


class NotificationSchema(Schema):
    """One notification. ``received_at`` defaults to the moment it reaches us; a time with no
    zone is read as UK time."""

    class Meta:
        unknown = RAISE

    force = text(100)
    police_reference = text(60)
    incident_date = Date(required=True)
    incident_time = fields.Time(allow_none=True)
    incident_place = text(300)
    received_at = AwareDateTime(allow_none=True, default_timezone=LONDON)
    children = fields.List(fields.Nested(ChildSchema), required=True,
                           validate=validate.Length(min=1, max=12))
    child_present = fields.Bool(allow_none=True)
    welfare_check = fields.Bool(allow_none=True)
    child_words = text(2000)
    summary = text(5000)
    officer_name = text(120)
    officer_contact = text(300)

    @validates_schema
    def _dates(self, data, **kwargs):
        day = data.get("incident_date")
        if day is not None and day > dt.date.today() + dt.timedelta(days=1):
            raise MmValidationError("cannot be in the future", "incident_date")
        received = data.get("received_at")
        if received is not None and received > dt.datetime.now(dt.timezone.utc) + \
                dt.timedelta(minutes=5):
            raise MmValidationError("cannot be in the future", "received_at")


class ApiNotificationSchema(NotificationSchema):
    """What a police or local-authority system posts: a notification plus the school's URN."""

    urn = fields.Str(required=True, validate=validate.Regexp(URN, error="must be a 6-digit URN"))


def flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as ``{"children.0.first_name": [...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                out.update(flatten(value, name))
            else:
                out[name] = list(value) if isinstance(value, (list, tuple)) else [str(value)]
    else:
        out[prefix or "_schema"] = list(messages)
    return out


def load(schema: Schema, data) -> dict:
    """Validate ``data``; raise the platform's ValidationError naming each bad field."""
    if not isinstance(data, dict):
        raise ValidationError({"_schema": ["send a JSON object"]})
    try:
        return schema.load(data)
    except MmValidationError as exc:
        raise ValidationError(flatten(exc.messages)) from None
