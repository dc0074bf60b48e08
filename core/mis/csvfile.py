"""Pupils from a CSV student list: the default layout (:data:`DEFAULT_COLUMNS`) or a school's
saved layout, a mapping of our fields to its MIS's own column headings.

A layout maps each field of :data:`core.mis.rows.FIELDS` to a heading, and the carer fields
(``carer.last_name``...) to a heading with ``{n}`` for the contact's number (``Contact {n}
surname`` reads ``Contact 1 surname``, ``Contact 2 surname``...). Headings are matched
ignoring case and surrounding spaces. Dates are read in the layout's ``date_format``
(``%d/%m/%Y`` unless it says otherwise; ISO dates are always accepted). Problems name the
line (as a spreadsheet numbers it: the headings are line 1) and the column heading.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import IO, Iterator

from core.mis.rows import CARER_FIELDS, FIELDS, REQUIRED, Problem, RawRow

DEFAULT_COLUMNS = {
    "upn": "UPN", "former_upn": "Former UPN", "mis_id": "MIS ID",
    "last_name": "Legal surname", "first_name": "Legal forename",
    "preferred_last_name": "Preferred surname", "preferred_name": "Preferred forename",
    "date_of_birth": "Date of birth", "gender": "Gender", "year_group": "Year group",
    "address": "Address", "sen": "SEN provision", "looked_after": "Looked after",
    "pupil_premium": "Pupil premium", "eal": "EAL",
    "carer.priority": "Contact {n} priority", "carer.title": "Contact {n} title",
    "carer.first_name": "Contact {n} forename", "carer.last_name": "Contact {n} surname",
    "carer.relationship": "Contact {n} relationship",
    "carer.parental_responsibility": "Contact {n} parental responsibility",
    "carer.phone": "Contact {n} phone", "carer.email": "Contact {n} email",
    "carer.address": "Contact {n} address",
}
DEFAULT_DATE_FORMAT = "%d/%m/%Y"
MAX_CONTACTS = 9


@dataclass
class Layout:
    """Which heading holds each field, and how dates are written."""

    columns: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_COLUMNS))
    date_format: str = DEFAULT_DATE_FORMAT
    name: str = "default"


def layout_problems(columns: dict, date_format: str) -> dict[str, list[str]]:
    """Field -> messages for a layout a person is saving."""
    errors: dict[str, list[str]] = {}
    known = set(FIELDS) | {f"carer.{f}" for f in CARER_FIELDS}
    if not isinstance(columns, dict) or not columns:
        return {"columns": ["give a heading for each field you map, e.g. "
                            "{\"last_name\": \"Surname\"}"]}
    for key, heading in columns.items():
        if key not in known:
            errors[key] = [f"is not a field; fields are {', '.join(sorted(known))}"]
        elif not isinstance(heading, str) or not heading.strip() or len(heading) > 100:
            errors[key] = ["give the column heading (1 to 100 characters)"]
        elif key.startswith("carer.") and "{n}" not in heading:
            errors[key] = ["a contact's heading needs {n} for the contact's number"]
    for key in REQUIRED:
        if key not in columns:
            errors.setdefault(key, []).append("is required in every layout")
    if "%" not in (date_format or "") or len(date_format) > 20:
        errors["date_format"] = ["give a date format such as %d/%m/%Y"]
    return errors


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass
class CsvFile:
    problems: list[Problem] = field(default_factory=list)
    carries_carers: bool = False


def _positions(headings: list[str], layout: Layout, out: CsvFile):
    at = {_fold(h): i for i, h in enumerate(headings)}
    pupil = {key: at[_fold(h)] for key, h in layout.columns.items()
             if not key.startswith("carer.") and _fold(h) in at}
    for key in REQUIRED:
        if key not in pupil:
            out.problems.append(Problem("line 1", layout.columns.get(key, key),
                                        "this column is missing from the headings"))
    carers = []
    for n in range(1, MAX_CONTACTS + 1):
        cols = {key.removeprefix("carer."): at[_fold(h.replace("{n}", str(n)))]
                for key, h in layout.columns.items()
                if key.startswith("carer.") and _fold(h.replace("{n}", str(n))) in at}
        if not cols:
            break
        carers.append(cols)
    out.carries_carers = bool(carers)
    return pupil, carers


def read_csv(stream: IO[bytes], layout: Layout, out: CsvFile) -> Iterator[RawRow]:
    """The rows of a CSV file, one raw row each, streamed. Blank lines are skipped. A file
    that is not UTF-8 text, or lacks a required column, is a problem of ``out``."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    origin = {key: (h if not key.startswith("carer.") else h.replace("{n}", "n"))
              for key, h in layout.columns.items()}
    try:
        headings = next(reader, None)
        if headings is None:
            out.problems.append(Problem("line 1", "file", "the file is empty"))
            return
        pupil, carers = _positions(headings, layout, out)
        if out.problems:
            return
        while True:
            line = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                return
            if not any(c.strip() for c in cells):
                continue
            cell = lambda i: cells[i] if i < len(cells) else ""  # noqa: E731
            values = {key: cell(i) for key, i in pupil.items()}
            contacts = [{k: cell(i) for k, i in cols.items()} for cols in carers]
            contacts = [c for c in contacts if any(v.strip() for v in c.values())]
            yield RawRow(f"line {line}", values, contacts, origin)
    except UnicodeDecodeError:
        out.problems.append(Problem(f"line {reader.line_num + 1}", "file",
                                    "is not UTF-8 text: save the export as \"CSV UTF-8\""))
    except csv.Error as exc:
        out.problems.append(Problem(f"line {reader.line_num}", "file",
                                    f"is not readable CSV ({exc})"))
