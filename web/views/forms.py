"""Reading HTML form fields into typed values, collecting one message per bad field.

Pages keep what was typed: a form that fails is rendered again with ``values`` (the raw text)
and ``errors`` (field -> messages), and the service's own
:class:`~core.errors.ValidationError` is folded into the same ``errors`` so every message
shows beside its field.
"""
from __future__ import annotations

import datetime as dt

from werkzeug.datastructures import MultiDict

from core import date_limits
from core.calendar import LONDON
from core.errors import ValidationError


class Form:
    """Typed access to a submitted form; problems are gathered in ``errors``."""

    def __init__(self, data: MultiDict):
        self.data = data
        self.errors: dict[str, list[str]] = {}

    @property
    def values(self) -> MultiDict:
        return self.data

    def add_error(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def text(self, name: str, *, required: bool = False, max_len: int | None = None) -> str:
        value = (self.data.get(name) or "").strip()
        if required and not value:
            self.add_error(name, "is required")
        elif max_len is not None and len(value) > max_len:
            self.add_error(name, f"must be at most {max_len} characters")
        return value

    def date(self, name: str, *, required: bool = False) -> dt.date | None:
        raw = (self.data.get(name) or "").strip()
        if not raw:
            if required:
                self.add_error(name, "is required (a date)")
            return None
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            self.add_error(name, "is not a date: use the date picker or YYYY-MM-DD")
            return None
        if not date_limits.within(day):
            self.add_error(name, date_limits.OUT_OF_RANGE)
            return None
        return day

    def local_datetime(self, name: str, *, required: bool = False) -> dt.datetime | None:
        """A ``datetime-local`` field, read as UK time (Europe/London)."""
        raw = (self.data.get(name) or "").strip()
        if not raw:
            if required:
                self.add_error(name, "is required (a date and time)")
            return None
        try:
            value = dt.datetime.fromisoformat(raw)
        except ValueError:
            self.add_error(name, "is not a date and time: use YYYY-MM-DD HH:MM")
            return None
        if not date_limits.within(value):
            self.add_error(name, date_limits.OUT_OF_RANGE)
            return None
        return value.replace(tzinfo=LONDON) if value.tzinfo is None else value

    def integer(self, name: str, *, required: bool = False) -> int | None:
        raw = (self.data.get(name) or "").strip()
        if not raw:
            if required:
                self.add_error(name, "is required")
            return None
        try:
            return int(raw)
        except ValueError:
            self.add_error(name, "must be a whole number")
            return None

    def integers(self, name: str) -> list[int]:
        out = []
        for raw in self.data.getlist(name):
            try:
                out.append(int(raw))
            except ValueError:
                self.add_error(name, f"{raw!r} is not a valid choice")
        return out

    def choice(self, name: str, choices, *, required: bool = False) -> str | None:
        value = (self.data.get(name) or "").strip()
        if not value:
            if required:
                self.add_error(name, "choose one")
            return None
        if value not in choices:
            self.add_error(name, "is not one of the choices")
            return None
        return value

    def absorb(self, exc: ValidationError, rename: dict[str, str] | None = None,
               keep_own: bool = False) -> None:
        """Take a service's field errors, renaming service fields to form fields. With
        ``keep_own``, a field the form already found wrong keeps the form's own message."""
        rename = rename or {}
        own = set(self.errors)
        for field, messages in exc.errors.items():
            target = rename.get(field, field)
            if field.startswith("attachments."):
                target = "attachments"
            if keep_own and target in own:
                continue
            for m in messages:
                self.add_error(target, m)


def local_input(value: dt.datetime) -> str:
    """A datetime as a ``datetime-local`` input value in UK time."""
    return value.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def uploaded_files(files) -> list:
    """The files of a form's ``attachments`` input, as the services take them."""
    from core.concerns import NewAttachment

    return [NewAttachment(f.filename, f.mimetype or "application/octet-stream", f.read())
            for f in files.getlist("attachments") if f and f.filename]


def body_map_from(data: MultiDict) -> list[dict] | None:
    """The marks of a form's body-map rows (``mark_view``, ``mark_region``, ``mark_note``,
    ``mark_x``, ``mark_y``, one value per row); ``None`` when no row names a region."""
    from core.bodymap import from_form

    marks = from_form(data.getlist("mark_view"), data.getlist("mark_region"),
                      data.getlist("mark_note"), data.getlist("mark_x"), data.getlist("mark_y"))
    return marks or None
