"""Reading the training forms: dates and id lists from a posted form, with errors that name
the field (the services check everything else)."""
from __future__ import annotations

import datetime as dt

from core import date_limits
from core.errors import ValidationError


def form_date(form, name: str, required: bool = True) -> dt.date | None:
    """A ``YYYY-MM-DD`` date field (what a date input sends)."""
    value = (form.get(name) or "").strip()
    if not value:
        if required:
            raise ValidationError({name: ["is required (a date)"]})
        return None
    try:
        return date_limits.parse_date(value)
    except date_limits.OutOfRange:
        raise ValidationError({name: [date_limits.OUT_OF_RANGE]}) from None
    except ValueError:
        raise ValidationError({name: [f"{value!r} is not a date (YYYY-MM-DD)"]}) from None


def form_ids(form, name: str) -> list[int]:
    """Every value of a multi-valued id field (checkboxes, multi-select)."""
    out = []
    for value in form.getlist(name):
        try:
            out.append(int(value))
        except ValueError:
            raise ValidationError({name: [f"{value!r} is not an id"]}) from None
    return out


def form_int(form, name: str) -> int:
    """A required whole-number field (a choice from a list)."""
    try:
        return int(form.get(name) or "")
    except ValueError:
        raise ValidationError({name: ["choose one"]}) from None


def person_data(form) -> dict:
    """The person fields of the staff form."""
    data = {k: form.get(k, "") for k in ("name", "email", "job_role", "safeguarding_role")}
    data["recruits"] = form.get("recruits") in ("1", "on", "yes", "true")
    errors: dict[str, list[str]] = {}
    for key in ("started_on", "left_on"):
        try:
            data[key] = form_date(form, key, required=False)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    return data
