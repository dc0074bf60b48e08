"""Checking and importing register marks: all or nothing.

One streaming pass checks every mark against the school (pupil, date, school day, code) and
stages the good ones; the staging table then finds marks repeated in the file. Any problem
and nothing is imported: the batch keeps every problem with its line and field. Otherwise
the staged marks are merged in one statement and the touched weeks re-summarised.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calendar import calendar_for, london_today
from core.models import Pupil

from .codes import NEW_CODES_FROM, normalise
from .parsing import ERROR_LIMIT, ErrorLog, RawMark
from .store import StagedRow, Staging

CHUNK = 20_000
Progress = Callable[[], None]
SESSIONS = {"AM": "AM", "PM": "PM", "A": "AM", "P": "PM"}


def parse_date(raw: str) -> dt.date | None:
    """A register date written as YYYY-MM-DD or DD/MM/YYYY (as UK MIS exports do)."""
    raw = raw.strip()
    try:
        if "/" in raw:
            d, m, y = raw.split("/")
            if len(y) != 4:
                return None
            return dt.date(int(y), int(m), int(d))
        return dt.date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        return None


class MarkChecker:
    """Checks raw marks against one school's roll and calendar, caching what repeats (dates,
    codes) so millions of marks check quickly."""

    def __init__(self, session: Session, school_id: int, pupil_key: str = "upn"):
        rows = session.execute(select(Pupil.id, Pupil.upn, Pupil.on_roll_from, Pupil.on_roll_to)
                               .where(Pupil.school_id == school_id)).all()
        self.pupil_key = pupil_key
        self.pupils: dict[str, tuple[int, str, str]] = {}
        for pid, upn, start, end in rows:
            key = str(pid) if pupil_key == "pupil_id" else (upn or "").upper()
            if key:
                self.pupils[key] = (pid, start.isoformat(), end.isoformat() if end else "9999")
        self.calendar = calendar_for(session, school_id)
        self.today = london_today()
        self._dates: dict[str, tuple | str] = {}
        self._codes: dict[tuple[str, bool], tuple[str | None, str | None]] = {}
        self.first: str | None = None
        self.last: str | None = None

    def _date(self, raw: str) -> tuple | str:
        hit = self._dates.get(raw)
        if hit is None:
            day = parse_date(raw)
            if day is None:
                hit = f"{raw.strip()!r} is not a date: use YYYY-MM-DD or DD/MM/YYYY"
            elif day > self.today:
                hit = f"{day.isoformat()} is in the future"
            else:
                sessions = self.calendar.sessions_on(day)
                if not sessions:
                    hit = f"{day.isoformat()} is not a school day in this school's calendar"
                else:
                    week = (day - dt.timedelta(days=day.weekday())).isoformat()
                    hit = (day.isoformat(), week, sessions, day >= NEW_CODES_FROM)
            if len(self._dates) < 10_000:
                self._dates[raw] = hit
        return hit

    def check(self, m: RawMark, errors: ErrorLog) -> StagedRow | None:
        """The staged row for a mark, or None after logging each problem it has."""
        ok = True
        pupil = self.pupils.get(m.pupil.strip().upper())
        if pupil is None:
            what = "UPN" if self.pupil_key == "upn" else "pupil number"
            errors.add(m.line, m.pupil_field, f"no pupil with {what} {m.pupil.strip()!r} at this "
                                              f"school" if m.pupil.strip() else f"{what} missing")
            ok = False
        date = self._date(m.date)
        if isinstance(date, str):
            errors.add(m.line, m.date_field, date)
            return None
        iso, week, sessions, new_era = date
        session = SESSIONS.get(m.session.strip().upper())
        if session is None:
            errors.add(m.line, m.session_field, f"{m.session.strip()!r} is not a session: AM or PM")
            ok = False
        elif session not in sessions:
            errors.add(m.line, m.session_field, f"the school was closed on {iso} {session}")
            ok = False
        key = (m.code, new_era)
        code, problem = self._codes.get(key) or self._codes.setdefault(
            key, normalise(m.code, dt.date.fromisoformat(iso)))
        if problem:
            errors.add(m.line, m.code_field, problem)
            ok = False
        if ok and not (pupil[1] <= iso <= pupil[2]):
            errors.add(m.line, m.pupil_field, f"pupil {m.pupil.strip()} was not on roll on {iso}")
            ok = False
        if not ok:
            return None
        if self.first is None or iso < self.first:
            self.first = iso
        if self.last is None or iso > self.last:
            self.last = iso
        return (m.line, pupil[0], iso, session, code, week)


class ImportOutcome:
    def __init__(self, errors: ErrorLog, rows_read: int, imported: int, first, last):
        self.errors, self.rows_read, self.imported = errors, rows_read, imported
        self.first_date = dt.date.fromisoformat(first) if first else None
        self.last_date = dt.date.fromisoformat(last) if last else None

    @property
    def ok(self) -> bool:
        return self.errors.count == 0


def import_marks(session: Session, school_id: int, trust_id: int, marks: Iterable[RawMark],
                 checker: MarkChecker, errors: ErrorLog, batch_id: int | None = None,
                 progress: Progress | None = None) -> ImportOutcome:
    """Check every mark, then import all of them or none. ``errors`` may already hold problems
    found while reading (encoding, header); ``progress()`` is called per chunk of marks."""
    staging = Staging(session)
    read = 0
    try:
        chunk: list[StagedRow] = []
        for m in marks:
            read += 1
            row = checker.check(m, errors)
            if row is not None:  # staged even in a bad file, to find its duplicates too
                chunk.append(row)
            if len(chunk) >= CHUNK:
                staging.add(chunk)
                chunk = []
                if progress:
                    progress()
        staging.add(chunk)
        dup_count, dups = staging.duplicates(ERROR_LIMIT)
        for line, first in dups:
            errors.add(line, "row", f"repeats the mark for the same pupil, date and session "
                                    f"given on line {first}")
        errors.count += max(0, dup_count - len(dups))
        if errors.count:
            errors.items.sort(key=lambda e: e["line"])
            return ImportOutcome(errors, read, 0, None, None)
        imported = staging.merge(school_id, trust_id, batch_id)
        return ImportOutcome(errors, read, imported, checker.first, checker.last)
    finally:
        staging.drop()
