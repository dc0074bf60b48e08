"""Bulk import of completed training from a training provider's CSV export.

All or nothing: every row is checked first; if any row is bad the report lists each problem
(line, field, message) and nothing is imported. A row identical to a record already held
(same person, course and date) is skipped, so importing the same file twice adds nothing.

Columns (header row required, names case-insensitive, any order, extra columns ignored):
``email`` and/or ``name`` (who: email is matched first, else the exact full name),
``course`` (the course code or its name), ``completed_on`` (YYYY-MM-DD or DD/MM/YYYY),
``provider`` (optional).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, date_limits
from core.calendar import london_today
from core.errors import ValidationError
from core.models import School
from core.policy import Actor, require
from plugins.training.courses import ensure_courses
from plugins.training.models import StaffMember, TrainingRecord
from plugins.training.records import add_record, check_completed_on

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
REQUIRED = ("course", "completed_on")


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str


@dataclass
class ImportResult:
    imported: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_date(text: str) -> dt.date:
    """ISO ``2025-09-01`` or UK ``01/09/2025`` between 1900 and 2100
    (:mod:`core.date_limits`); ``ValueError`` otherwise."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return date_limits.check(day)
    raise ValueError(text)


def _rows(data: bytes) -> tuple[list[str], list[tuple[int, dict]]]:
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": [f"is larger than {MAX_BYTES // (1024 * 1024)} MB"]})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": ["is not UTF-8 text: save it as CSV UTF-8"]}) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise ValidationError({"file": ["is empty: it needs a header row"]})
    header = [(h or "").strip().lower() for h in reader.fieldnames]
    reader.fieldnames = header
    missing = [h for h in REQUIRED if h not in header]
    if "email" not in header and "name" not in header:
        missing.append("email or name")
    if missing:
        raise ValidationError({"header": [f"missing column: {m}" for m in missing]})
    rows = []
    for row in reader:
        if reader.line_num - 1 > MAX_ROWS:
            raise ValidationError({"file": [f"has more than {MAX_ROWS} rows: split it"]})
        clean = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if any(clean.values()):
            rows.append((reader.line_num, clean))
    return header, rows


def check_csv(session: Session, school_id: int, data: bytes, today: dt.date | None = None
              ) -> tuple[list[RowError], list[tuple[int, int, int, dt.date, str]]]:
    """Check every row; returns (errors, good rows as (line, staff id, course id, date,
    provider)). A bad header or file raises ``ValidationError`` at once."""
    today = today or london_today()
    _, rows = _rows(data)
    trust_id = session.scalar(select(School.trust_id).where(School.id == school_id))
    courses = ensure_courses(session, trust_id)
    by_course = {c.code.lower(): c.id for c in courses} | {c.label.lower(): c.id for c in courses}
    staff = list(session.scalars(select(StaffMember).where(StaffMember.school_id == school_id)))
    by_email = {p.email: p.id for p in staff if p.email}
    by_name: dict[str, list[int]] = {}
    for p in staff:
        by_name.setdefault(p.name.lower(), []).append(p.id)
    errors: list[RowError] = []
    good = []
    for line, row in rows:
        bad = len(errors)
        staff_id = None
        email, name = row.get("email", "").lower(), " ".join(row.get("name", "").split())
        if email:
            staff_id = by_email.get(email)
            if staff_id is None:
                errors.append(RowError(line, "email", f"no one on the staff list has {email}"))
        elif name:
            ids = by_name.get(name.lower(), [])
            if len(ids) == 1:
                staff_id = ids[0]
            else:
                errors.append(RowError(line, "name", f"{name!r} matches no one on the staff list"
                                       if not ids else f"{name!r} matches {len(ids)} people: "
                                       "add their email"))
        else:
            errors.append(RowError(line, "email", "give the person's email or name"))
        course_id = by_course.get(row.get("course", "").lower())
        if not row.get("course"):
            errors.append(RowError(line, "course", "is required"))
        elif course_id is None:
            errors.append(RowError(line, "course", f"unknown course {row['course']!r}"))
        completed = None
        if not row.get("completed_on"):
            errors.append(RowError(line, "completed_on", "is required"))
        else:
            try:
                completed = check_completed_on(parse_date(row["completed_on"]), today)
            except ValueError:
                errors.append(RowError(line, "completed_on",
                                       f"{row['completed_on']!r} is not a date between "
                                       "1900 and 2100 (use YYYY-MM-DD or DD/MM/YYYY)"))
            except ValidationError as exc:
                errors.append(RowError(line, "completed_on", exc.errors["completed_on"][0]))
        if len(row.get("provider", "")) > 200:
            errors.append(RowError(line, "provider", "is longer than 200 characters"))
        if len(errors) == bad:
            good.append((line, staff_id, course_id, completed, row.get("provider", "")))
    return errors, good


def import_csv(session: Session, actor: Actor | None, school_id: int, data: bytes,
               today: dt.date | None = None) -> ImportResult:
    """Import a provider's CSV: all rows or none. Returns what was imported or the errors."""
    if actor is not None:
        require(actor, "training.manage", school_id)
    today = today or london_today()
    errors, good = check_csv(session, school_id, data, today)
    if errors:
        return ImportResult(errors=errors)
    held = {tuple(r) for r in session.execute(select(
        TrainingRecord.staff_id, TrainingRecord.course_id, TrainingRecord.completed_on).where(
        TrainingRecord.school_id == school_id, TrainingRecord.withdrawn_at.is_(None)))}
    result = ImportResult()
    for _, staff_id, course_id, completed, provider in good:
        if (staff_id, course_id, completed) in held:
            result.skipped += 1
            continue
        add_record(session, actor, school_id, staff_id, course_id, completed, provider=provider,
                   source="import", today=today)
        held.add((staff_id, course_id, completed))
        result.imported += 1
    audit.record(session, "training.records_imported", actor=actor, object_type="school",
                 object_id=school_id, school_id=school_id,
                 detail={"imported": result.imported, "skipped": result.skipped})
    return result
