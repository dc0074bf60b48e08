"""Checking and importing register marks: all or nothing, set-based.

The marks are first loaded as text into a staging table (PostgreSQL ``COPY``; SQLite
``executemany``). Each *distinct* pupil, date, session and code in it is then checked once in
Python against the school (its roll, its calendar, the code table) into small lookup tables,
and SQL finds every row that fails a lookup, falls on a closed session or outside the pupil's
time on roll, or repeats another row. Any problem and nothing is imported: the caller gets every
problem with its line and field. Otherwise one statement merges the marks. Python's work thus
grows with the number of different values, not with the number of marks. The checks live in
:mod:`plugins.attendance.checks`; this module loads the staging table, runs them and merges.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import IO, Callable, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core import date_limits
from core.calendar import calendar_for, london_today
from core.models import Pupil

from plugins.attendance import checks, terms
from plugins.attendance.checks import MAX_DISTINCT, as_date
from plugins.attendance.codes import NEW_CODES_FROM, normalise
from plugins.attendance.parsing import ERROR_LIMIT, ErrorLog, Layout, RawMark, decoded_lines
from plugins.attendance.store import CopyFailed, Staging
from plugins.attendance.weeks import NEVER, WeekGrid, code_numbers

CHUNK = 20_000
BLOCK = 1 << 20
Progress = Callable[[], None]
SESSIONS = {"AM": "AM", "PM": "PM", "A": "AM", "P": "PM"}


def parse_date(raw: str) -> dt.date | None:
    """A register date written as YYYY-MM-DD or DD/MM/YYYY (as UK MIS exports do), inside
    the dates the platform accepts (:mod:`core.date_limits`); None for anything else."""
    raw = raw.strip()
    try:
        if "/" in raw:
            d, m, y = raw.split("/")
            if len(y) != 4:
                return None
            day = dt.date(int(y), int(m), int(d))
        else:
            day = dt.date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        return None
    return day if day is None or date_limits.within(day) else None


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass
class Columns:
    """Where the staging table keeps each value, and the SQL giving each row's field name
    (a quoted constant for a long CSV, a column for layouts that name fields per mark)."""

    pupil: str
    date: str
    session: str
    code: str
    pupil_field: str
    date_field: str
    session_field: str
    code_field: str


RAW_COLUMNS = ("pupil", "date", "session", "code", "pupil_field", "date_field",
               "session_field", "code_field")
RAW = Columns(*RAW_COLUMNS)


class ImportOutcome:
    def __init__(self, errors: ErrorLog, rows_read: int, imported: int, first=None, last=None):
        self.errors, self.rows_read, self.imported = errors, rows_read, imported
        self.first_date, self.last_date = first, last

    @property
    def ok(self) -> bool:
        return self.errors.count == 0


class Checker:
    """The school's roll and calendar, for checking distinct values once each."""

    def __init__(self, session: Session, school_id: int, pupil_key: str = "upn"):
        rows = session.execute(select(Pupil.id, Pupil.upn, Pupil.on_roll_from, Pupil.on_roll_to)
                               .where(Pupil.school_id == school_id)).all()
        self.pupil_key = pupil_key
        self.pupils: dict[str, tuple[int, dt.date, dt.date]] = {}
        self.roll: list[tuple[int, dt.date, dt.date]] = []  # every pupil, by id
        for pid, upn, start, end in sorted(rows):
            self.roll.append((pid, start, end or NEVER))
            key = str(pid) if pupil_key == "pupil_id" else (upn or "").upper()
            if key:
                self.pupils[key] = (pid, start, end or NEVER)
        self.calendar = calendar_for(session, school_id)
        self.today = london_today()

    def pupil(self, raw: str) -> tuple[int, dt.date, dt.date] | str:
        hit = self.pupils.get(raw.strip().upper())
        if hit is not None:
            return hit
        what = "UPN" if self.pupil_key == "upn" else "pupil number"
        return f"no pupil with {what} {raw.strip()!r} at this school" if raw.strip() \
            else f"{what} missing"

    @staticmethod
    def session(raw: str) -> str | None:
        """"AM" or "PM" for a session as written, or None."""
        return SESSIONS.get(raw.strip().upper())

    @staticmethod
    def code_by_era(raw: str) -> tuple[str | None, str | None]:
        """The stored code for a mark written ``raw`` before and from 19 August 2024."""
        return (normalise(raw, NEW_CODES_FROM - dt.timedelta(days=1))[0],
                normalise(raw, NEW_CODES_FROM)[0])

    def date(self, raw: str) -> tuple[dt.date, tuple[str, ...]] | str:
        day = parse_date(raw)
        if day is None:
            return (f"{raw.strip()!r} is not a date between 1900 and 2100: use YYYY-MM-DD or "
                    "DD/MM/YYYY")
        if day > self.today:
            return f"{day.isoformat()} is in the future"
        sessions = self.calendar.sessions_on(day)
        if not sessions:
            return f"{day.isoformat()} is not a school day in this school's calendar"
        return day, sessions


def check_and_merge(session: Session, st: Staging, cols: Columns, checker: Checker,
                    errors: ErrorLog, school_id: int, trust_id: int,
                    batch_id: int | None) -> ImportOutcome:
    """Check every staged row; merge them all if none is bad."""
    st.analyze()
    lookups = checks.lookup_tables(st, cols, checker)
    if lookups is None:
        errors.add(1, "file", "too many different pupils, dates or codes for a register file")
        return ImportOutcome(errors, st.rows, 0)
    found = checks.find_problems(st, cols, lookups)
    # the joins run once: the duplicate check and the final read both use these resolved marks
    resolved = checks.resolve(st, cols, lookups)
    checks.find_repeats(st, resolved, found)
    if found.total or errors.count:
        return _refuse(errors, found, st.rows)
    return _merge(session, st, resolved, checker, errors, school_id, trust_id, batch_id)


# --- the outcome: every problem, or every mark ---------------------------------------------------

def _refuse(errors: ErrorLog, found: checks.Findings, rows_read: int) -> ImportOutcome:
    """Nothing imported: the problems found join those already logged, in line order, the
    count covering those past the limit."""
    found.items.sort(key=lambda e: e[0])
    kept = found.items[:ERROR_LIMIT]
    for line, field_, problem in kept:
        errors.add(line, field_, problem)
    errors.count += found.total - min(found.total, len(kept))
    errors.items.sort(key=lambda e: e["line"])
    return ImportOutcome(errors, rows_read, 0)


def _merge(session: Session, st: Staging, r_t: str, checker: Checker, errors: ErrorLog,
           school_id: int, trust_id: int, batch_id: int | None) -> ImportOutcome:
    """Every resolved mark into the week rows, in one pass."""
    grid = WeekGrid(checker.roll)
    rows = st.conn.execute(text(f"SELECT pupil_id, day, session, code FROM {r_t}")
                           .execution_options(stream_results=True, yield_per=CHUNK))
    if not grid.put_rows((pid, as_date(day), sess, code) for pid, day, sess, code in rows):
        raise RuntimeError("a repeated session passed the duplicate check")
    return _write(session, grid, st.rows, errors, school_id, trust_id, batch_id)


def _write(session: Session, grid: WeekGrid, rows_read: int, errors: ErrorLog, school_id: int,
           trust_id: int, batch_id: int | None) -> ImportOutcome:
    grid.write(session, school_id, trust_id, batch_id)
    first = dt.date.fromordinal(grid.first) if grid.first else None
    last = dt.date.fromordinal(grid.last) if grid.last else None
    if first is not None:  # the term totals the marks fall in, counted again
        terms.refresh(session.connection(), school_id, first, last)
    return ImportOutcome(errors, rows_read, grid.marks, first, last)


# --- loading the staging table ------------------------------------------------------------------

def import_marks(session: Session, school_id: int, trust_id: int, marks: Iterable[RawMark],
                 checker: Checker, errors: ErrorLog, batch_id: int | None = None,
                 progress: Progress | None = None) -> ImportOutcome:
    """Import marks given one by one (wide CSV, CTF, JSON, demo data): all or none."""
    st = Staging(session, RAW_COLUMNS)
    try:
        chunk: list[tuple] = []
        for m in marks:
            chunk.append(tuple(m))
            if len(chunk) >= CHUNK:
                st.add(chunk)
                chunk = []
                if progress:
                    progress()
        st.add(chunk)
        return check_and_merge(session, st, RAW, checker, errors, school_id, trust_id, batch_id)
    finally:
        st.drop()


def import_long_csv(session: Session, school_id: int, trust_id: int, stream: IO[bytes],
                    layout: Layout, checker: Checker, errors: ErrorLog,
                    batch_id: int | None = None, progress: Progress | None = None
                    ) -> ImportOutcome:
    """Import a one-mark-per-row CSV: on PostgreSQL the file's bytes go straight to COPY (each
    line prefixed with its number, blank lines left out, each block checked to be UTF-8)."""
    first = stream.readline()
    import csv

    header = next(csv.reader([first.decode("utf-8-sig", errors="replace")]), [])
    header = [h.strip() for h in header]
    positions = {}
    for name in (layout.pupil, layout.date, layout.session, layout.code):
        if name not in header:
            errors.add(1, name, "column missing from the header row")
        else:
            positions[name] = header.index(name)
    if errors.count:
        return ImportOutcome(errors, 0, 0)
    fast = _fast_long_csv(stream, len(header), [positions[n] for n in (
        layout.pupil, layout.date, layout.session, layout.code)], checker, progress)
    if fast is not None:
        return _write(session, fast[0], fast[1], errors, school_id, trust_id, batch_id)
    cols = [f"c{i}" for i in range(len(header))]
    st = Staging(session, cols)
    spec = Columns(cols[positions[layout.pupil]], cols[positions[layout.date]],
                   cols[positions[layout.session]], cols[positions[layout.code]],
                   _lit(layout.pupil), _lit(layout.date), _lit(layout.session), _lit(layout.code))
    try:
        if st.pg:
            try:
                st.copy_csv_lines(_numbered_blocks(stream, errors), progress)
            except CopyFailed as exc:
                errors.add(exc.line, "row", exc.problem)
                return ImportOutcome(errors, 0, 0)
        else:
            _load_rows(st, stream, len(header), errors, progress)
        return check_and_merge(session, st, spec, checker, errors, school_id, trust_id, batch_id)
    finally:
        st.drop()


def _fast_long_csv(stream: IO[bytes], width: int, positions: list[int], checker: Checker,
                   progress: Progress | None) -> tuple[WeekGrid, int] | None:
    """The fast path for a one-mark-per-row CSV without a single problem: the file is parsed
    in blocks by pyarrow's CSV reader and each block's *distinct* pupils, dates, sessions and
    codes are checked with the same :class:`Checker` as the exact path, the rows themselves
    only as numpy arrays. Returns the marks gathered and the rows read, or None, with the
    stream back where it was, as soon as anything is wrong (a bad value, a closed session, a
    pupil off roll, a repeated session, a ragged row, text that is not UTF-8): the exact path
    then finds and reports every problem with its line. So a file either passes both paths'
    checks or imports nothing, and a good file is never read a row at a time in Python."""
    if not stream.seekable():
        return None
    start = stream.tell()
    names = [f"c{i}" for i in range(width)]
    wanted = [names[i] for i in positions]
    if len(set(wanted)) != len(wanted):
        return None
    _, number = code_numbers()
    grid = WeekGrid(checker.roll)
    pupil_pos: dict[str, int] = {}
    day_info: dict[str, tuple[int, bool, bool, bool] | None] = {}
    session_pm: dict[str, int] = {}
    code_no: dict[str, tuple[int, int]] = {}

    def pupil(raw: str) -> int:
        if raw not in pupil_pos:
            hit = checker.pupil(raw)
            pupil_pos[raw] = -1 if isinstance(hit, str) else grid.index[hit[0]]
        return pupil_pos[raw]

    def day(raw: str):
        if raw not in day_info:
            hit = checker.date(raw)
            day_info[raw] = None if isinstance(hit, str) else (
                hit[0].toordinal(), "AM" in hit[1], "PM" in hit[1], hit[0] >= NEW_CODES_FROM)
        return day_info[raw]

    def pm(raw: str) -> int:
        if raw not in session_pm:
            s = checker.session(raw)
            session_pm[raw] = -1 if s is None else int(s == "PM")
        return session_pm[raw]

    def code(raw: str) -> tuple[int, int]:
        if raw not in code_no:
            code_no[raw] = tuple(number.get(c or "", 0) for c in checker.code_by_era(raw))
        return code_no[raw]

    def column(batch, name):
        enc = pc.dictionary_encode(batch.column(name))
        if isinstance(enc, pa.ChunkedArray):
            enc = enc.combine_chunks()
        return enc.indices.to_numpy(zero_copy_only=False), enc.dictionary.to_pylist()

    rows = 0
    try:
        reader = pacsv.open_csv(
            stream, read_options=pacsv.ReadOptions(column_names=names, block_size=BLOCK),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, include_columns=wanted,
                strings_can_be_null=False))
        for batch in reader:
            rows += batch.num_rows
            (p_ix, p_raw), (d_ix, d_raw), (s_ix, s_raw), (c_ix, c_raw) = (
                column(batch, n) for n in wanted)
            p_lut = np.array([pupil(v) for v in p_raw], dtype=np.int64)
            days = [day(v) for v in d_raw]
            s_lut = np.array([pm(v) for v in s_raw], dtype=np.int64)
            c_lut = np.array([code(v) for v in c_raw], dtype=np.int64).reshape(-1, 2)
            if (p_lut < 0).any() or None in days or (s_lut < 0).any() \
                    or len(day_info) > MAX_DISTINCT:
                return _decline(stream, start)
            ords = np.array([d[0] for d in days], dtype=np.int64)
            is_open = np.array([[d[1], d[2]] for d in days], dtype=bool)
            new_era = np.array([d[3] for d in days], dtype=np.int64)
            p, d, s = p_lut[p_ix], d_ix.astype(np.int64), s_lut[s_ix]
            c = c_lut[c_ix, new_era[d]]
            on = ords[d]
            if not (c.all() and is_open[d, s].all() and (on >= grid.roll_from[p]).all()
                    and (on <= grid.roll_to[p]).all()):
                return _decline(stream, start)
            if not grid.put(p, d, ords.tolist(), s, c.astype(np.uint8)):
                return _decline(stream, start)
            if progress:
                progress()
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return _decline(stream, start)
    return grid, rows


def _decline(stream: IO[bytes], start: int) -> None:
    stream.seek(start)
    return None


def _numbered_blocks(stream: IO[bytes], errors: ErrorLog):
    """A function returning the next block of whole lines, each prefixed with its line number
    (the header was line 1), blank lines dropped and lines that are not UTF-8 reported."""
    state = {"line": 1, "tail": b""}

    def next_block() -> bytes | None:
        data = stream.read(BLOCK)
        if not data:
            if not state["tail"]:
                return None
            data, state["tail"] = state["tail"], b""
        else:
            data = state["tail"] + data
            cut = data.rfind(b"\n")
            if cut < 0:
                state["tail"] = data
                return b""
            data, state["tail"] = data[:cut + 1], data[cut + 1:]
        lines = data.split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        out = []
        for raw in lines:
            state["line"] += 1
            if not raw.strip():
                continue
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                errors.add(state["line"], "file", f"not UTF-8 text (byte {exc.start + 1} of the "
                                                  f"line): save the file as 'CSV UTF-8' and "
                                                  f"import it again")
                continue  # reported; the file will import nothing, and the line says no more
            out.append(b"%d," % state["line"] + raw.rstrip(b"\r") + b"\n")
        return b"".join(out)

    return next_block


def _load_rows(st: Staging, stream: IO[bytes], width: int, errors: ErrorLog,
               progress: Progress | None) -> None:
    import csv

    reader = csv.reader(decoded_lines(stream, errors, start=2))
    chunk: list[tuple] = []
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        line = reader.line_num + 1
        if len(row) != width:
            errors.add(line, "row", f"has {len(row)} fields, expected {width}")
            continue
        chunk.append((line, *row))
        if len(chunk) >= CHUNK:
            st.add(chunk)
            chunk = []
            if progress:
                progress()
    st.add(chunk)
