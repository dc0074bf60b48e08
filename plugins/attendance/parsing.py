"""Reading register files as a stream of raw marks, one at a time, whatever the layout.

Each reader yields :class:`RawMark` tuples and reports unreadable input (bad encoding, a
missing column) to an :class:`ErrorLog`; checking a mark against the school happens in
:mod:`.importer`. Nothing here holds more than one row (or one CTF pupil) in memory.
"""
from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass, field
from typing import IO, Iterator, NamedTuple

ERROR_LIMIT = 500  # errors kept for the report; all are counted


class RawMark(NamedTuple):
    line: int
    pupil: str
    date: str
    session: str
    code: str
    pupil_field: str
    date_field: str
    session_field: str
    code_field: str


@dataclass
class ErrorLog:
    """Every problem found, with the line and field it is on; the first ``ERROR_LIMIT`` kept."""

    count: int = 0
    items: list[dict] = field(default_factory=list)

    def add(self, line: int, field_: str, problem: str) -> None:
        self.count += 1
        if len(self.items) < ERROR_LIMIT:
            self.items.append({"line": line, "field": field_, "problem": problem})


@dataclass
class Layout:
    """How a CSV register export is laid out (see the README, Attendance, CSV layouts).

    ``format`` "long": one row per mark with pupil, date, session and code columns.
    ``format`` "wide": one row per pupil and one column per session, headed "<date> AM" or
    "<date> PM". ``pupil_key`` says whether the pupil column holds a UPN or the platform's
    pupil number."""

    format: str = "long"
    pupil: str = "UPN"
    pupil_key: str = "upn"
    date: str = "Date"
    session: str = "Session"
    code: str = "Mark"

    @classmethod
    def from_dict(cls, data: dict | None) -> "Layout":
        from core.errors import ValidationError

        data = dict(data or {})
        unknown = set(data) - set(cls.__dataclass_fields__)
        errors = {k: ["is not a layout setting"] for k in unknown}
        layout = cls(**{k: str(v) for k, v in data.items() if k not in unknown})
        if layout.format not in ("long", "wide"):
            errors["format"] = ["must be long or wide"]
        if layout.pupil_key not in ("upn", "pupil_id"):
            errors["pupil_key"] = ["must be upn or pupil_id"]
        if errors:
            raise ValidationError(errors)
        return layout

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def decoded_lines(stream: IO[bytes], errors: ErrorLog, start: int = 1) -> Iterator[str]:
    """The file's lines as text, one per physical line, so csv line numbers stay true. A line
    that is not UTF-8 is reported and read as blank. ``start`` is the first line's number."""
    for n, raw in enumerate(stream, start):
        if n == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.add(n, "file", f"not UTF-8 text (byte {exc.start + 1} of the line): save the "
                                  f"file as 'CSV UTF-8' and import it again")
            yield "\n"


WIDE_HEADER = re.compile(r"^\s*(?P<date>\S+)\s+(?P<session>AM|PM)\s*$", re.IGNORECASE)


def read_wide_csv(stream: IO[bytes], layout: Layout, errors: ErrorLog) -> Iterator[RawMark]:
    """Marks from a CSV with one row per pupil and a column per session ("<date> AM")."""
    reader = csv.reader(decoded_lines(stream, errors))
    header = next(reader, None)
    if not header:
        errors.add(1, "file", "the file is empty: expected a header row")
        return
    header = [h.strip() for h in header]
    if layout.pupil not in header:
        errors.add(1, layout.pupil, "column missing from the header row")
        return
    p = header.index(layout.pupil)
    sessions: list[tuple[int, str, str, str]] = []
    for i, h in enumerate(header):
        if i == p:
            continue
        m = WIDE_HEADER.match(h)
        if m:
            sessions.append((i, m["date"], m["session"].upper(), h))
    if not sessions:
        errors.add(1, "header", "no session columns found: expected headings like "
                                "'2025-09-08 AM'")
        return
    seen = set()
    for _, date, session, h in sessions:
        if (date, session) in seen:
            errors.add(1, h, "this session has two columns")
        seen.add((date, session))
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        for i, date, session, h in sessions:
            value = row[i].strip() if i < len(row) else ""
            if value:  # a blank cell is a session not marked (yet)
                yield RawMark(reader.line_num, row[p], date, session, value, layout.pupil, h, h, h)
