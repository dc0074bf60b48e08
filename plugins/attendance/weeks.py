"""A pupil's register for a week, as stored in ``attendance_weeks``, and writing many at once.

``marks`` holds the week's fourteen sessions, Monday AM to Sunday PM: slot ``k`` is day
``k // 2`` of the week and the morning when ``k`` is even. Each slot is two characters, the code
padded with a space; two spaces is a session with no mark. A week's counts (possible sessions,
present, ...) are computed from its marks whenever they are written, counting only the days the
pupil was on roll.

:class:`WeekGrid` gathers one import's marks as small integers in a numpy array of
(week, pupil, slot), which is how a file of millions of marks is checked for repeats and turned
into week rows without a Python step per mark; :meth:`WeekGrid.write` merges them into the
stored weeks (marks already stored for other sessions of the same week are kept).
"""
from __future__ import annotations

import datetime as dt
import uuid
from functools import lru_cache
from typing import Iterable, Iterator, NamedTuple, Sequence

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session


from plugins.attendance.codes import AEA, AUTHORISED, LATE_AFTER_CLOSE, LATE_BEFORE_CLOSE, POSSIBLE, PRESENT, \
    UNAUTHORISED, codes

SLOTS = 14
WIDTH = 2
EMPTY = " " * WIDTH
COUNT_FIELDS = ("possible", "present", "aea", "authorised", "unauthorised", "late_before",
                "late_after", "not_possible")
SESSIONS = ("AM", "PM")
NEVER = dt.date(9999, 12, 31)
WRITE_LOCK = 0x61747477  # the advisory-lock class of writes to a school's stored weeks
_DAY_OF_SLOT = np.arange(SLOTS) // 2


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def encode(marks: dict[int, str]) -> str:
    """The stored text of a week given {slot: code}."""
    return "".join(marks.get(k, "").ljust(WIDTH) for k in range(SLOTS))


def decode(week_start: dt.date, marks: str) -> Iterator[tuple[dt.date, str, str]]:
    """(date, session, code) for each marked session of a stored week, in order."""
    for k in range(SLOTS):
        code = marks[k * WIDTH:(k + 1) * WIDTH].strip()
        if code:
            yield week_start + dt.timedelta(days=k // 2), SESSIONS[k % 2], code


@lru_cache(maxsize=1)
def code_numbers() -> tuple[tuple[str, ...], dict[str, int]]:
    """Every code numbered from 1 (0 is no mark): (codes by number, number by code)."""
    names = ("",) + tuple(sorted(codes()))
    if len(names) > 255:
        raise ValueError("too many register codes for one byte")
    return names, {c: i for i, c in enumerate(names)}


@lru_cache(maxsize=1)
def _count_table() -> np.ndarray:
    """Per code number, which counts a session with that code adds one to."""
    names, _ = code_numbers()
    table = np.zeros((len(names), len(COUNT_FIELDS)), dtype=np.int32)
    for i, name in enumerate(names[1:], 1):
        cat = codes()[name].category
        table[i] = [cat in POSSIBLE, cat == PRESENT, cat == AEA, cat == AUTHORISED,
                    cat == UNAUTHORISED, name == LATE_BEFORE_CLOSE, name == LATE_AFTER_CLOSE,
                    cat not in POSSIBLE]
    return table


@lru_cache(maxsize=1)
def _text_table() -> np.ndarray:
    names, _ = code_numbers()
    return np.array([n.ljust(WIDTH).encode("ascii") for n in names], dtype=f"S{WIDTH}")


@lru_cache(maxsize=1)
def _pair_table() -> np.ndarray:
    """Code number by the two bytes of a stored slot read as one little-endian uint16."""
    names, _ = code_numbers()
    table = np.zeros(1 << 16, dtype=np.uint8)
    for i, name in enumerate(names[1:], 1):
        pair = name.ljust(WIDTH).encode("ascii")
        table[pair[0] | pair[1] << 8] = i
    return table


def numbers_of(texts: Sequence[str]) -> np.ndarray:
    """Stored weeks as rows of 14 code numbers, all at once."""
    if not texts:
        return np.zeros((0, SLOTS), dtype=np.uint8)
    raw = np.frombuffer("".join(texts).encode("ascii"), dtype="<u2")
    return _pair_table()[raw].reshape(len(texts), SLOTS)


def to_numbers(marks: str) -> np.ndarray:
    """A stored week as 14 code numbers."""
    return numbers_of([marks])[0]


def to_text(rows: np.ndarray) -> list[str]:
    """Rows of 14 code numbers as stored week texts."""
    if not len(rows):
        return []
    joined = _text_table()[rows].view(f"S{WIDTH * SLOTS}").reshape(len(rows))
    return [b.decode("ascii") for b in joined.tolist()]


def counts(rows: np.ndarray, week_start: np.ndarray, first: np.ndarray,
           last: np.ndarray) -> np.ndarray:
    """The counts (in :data:`COUNT_FIELDS` order) of each row of 14 code numbers, counting only
    days from ``first`` to ``last`` (date ordinals per row, e.g. the pupil's time on roll)."""
    if not len(rows):
        return np.zeros((0, len(COUNT_FIELDS)), dtype=np.int64)
    table = _count_table()[rows]  # (rows, 14, fields)
    if (first <= week_start).all() and (last >= week_start + 6).all():
        return table.sum(axis=1, dtype=np.int64)  # the usual case: every day counts
    day = week_start[:, None] + _DAY_OF_SLOT[None, :]
    inside = (day >= first[:, None]) & (day <= last[:, None])
    return (table * inside[:, :, None]).sum(axis=1, dtype=np.int64)


def week_counts(week_start: dt.date, marks: str, first: dt.date, last: dt.date) -> list[int]:
    """:func:`counts` for one stored week."""
    one = np.array([week_start.toordinal()])
    return counts(to_numbers(marks)[None, :], one, np.array([first.toordinal()]),
                  np.array([last.toordinal()]))[0].tolist()


def marks_stored_sql() -> str:
    """SQL counting the marked sessions of the rows of ``attendance_weeks``."""
    return "SUM(" + " + ".join(f"CASE WHEN substr(marks, {k * WIDTH + 1}, {WIDTH}) <> '{EMPTY}' "
                               f"THEN 1 ELSE 0 END" for k in range(SLOTS)) + ")"


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as zero-padded ASCII digits, one row of ``width`` bytes each."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers[None, :]) % 10 + 48).astype(np.uint8)


def csv_rows(template: str, ids: np.ndarray, block: np.ndarray, sums: np.ndarray) -> bytes:
    """CSV lines for ``COPY`` made as one numpy array of fixed-width rows, not a Python step
    per row. ``template`` is the line with ``%s`` for the id, the marks and the counts (the
    rest is the same on every line). Numbers are zero-padded (PostgreSQL reads ``0000000042``
    as 42): ids to ten digits, counts (at most 14) to two."""
    n = len(ids)
    if not n:
        return b""
    if ids.max(initial=0) >= 10 ** 10 or sums.max(initial=0) >= 100:
        raise ValueError("a value too wide for its fixed-width CSV field")
    before, between, after_marks, end = (part.encode("ascii") for part in template.split("%s"))
    fields = len(COUNT_FIELDS)
    pieces = [np.frombuffer(before, np.uint8), _digits(ids.astype(np.int64), 10),
              np.frombuffer(between, np.uint8),
              _text_table()[block].view(np.uint8).reshape(n, SLOTS * WIDTH),
              np.frombuffer(after_marks, np.uint8)]
    for j in range(fields):
        pieces.append(_digits(sums[:, j].astype(np.int64), 2))
        pieces.append(np.frombuffer(b"," if j < fields - 1 else end, np.uint8))
    return np.hstack([p if p.ndim == 2 else np.broadcast_to(p, (n, len(p))) for p in pieces]
                     ).tobytes()


class WeekGrid:
    """One import's marks: a code number per (week, pupil on the school's roll, session)."""

    def __init__(self, pupils: Sequence[tuple[int, dt.date, dt.date]]):
        self.ids = np.array([p[0] for p in pupils], dtype=np.int64)
        self.index = {pid: i for i, pid in enumerate(self.ids.tolist())}
        self.roll_from = np.array([p[1].toordinal() for p in pupils], dtype=np.int64)
        self.roll_to = np.array([p[2].toordinal() for p in pupils], dtype=np.int64)
        self.n = len(pupils)
        self.blocks: dict[int, int] = {}  # Monday's ordinal -> block number
        self.cells = np.zeros(0, dtype=np.uint8)
        self.marks = 0
        self.first: int | None = None
        self.last: int | None = None

    def _block(self, monday_ord: int) -> int:
        b = self.blocks.get(monday_ord)
        if b is None:
            b = self.blocks[monday_ord] = len(self.blocks)
            self.cells = np.concatenate([self.cells, np.zeros(self.n * SLOTS, dtype=np.uint8)])
        return b

    def put(self, pupil: np.ndarray, date_ix: np.ndarray, dates: Sequence[int], pm: np.ndarray,
            code: np.ndarray) -> bool:
        """Add marks given as arrays: the pupil's position in the roll, an index into ``dates``
        (date ordinals), 0/1 for AM/PM and the code number. False (and nothing added) when a
        session is given twice, here or in an earlier call."""
        if not len(pupil):
            return True
        weekday = [(d - 1) % 7 for d in dates]  # ordinal 1 (1 Jan 0001) was a Monday
        block = np.array([self._block(d - w) for d, w in zip(dates, weekday)], dtype=np.int64)
        pos = np.array([w * 2 for w in weekday], dtype=np.int64)
        cell = (block[date_ix] * self.n + pupil.astype(np.int64)) * SLOTS + pos[date_ix] + pm
        ordered = np.sort(cell)
        if (ordered[1:] == ordered[:-1]).any() or self.cells[cell].any():
            return False
        self.cells[cell] = code
        self.marks += len(cell)
        used = np.unique(date_ix)
        lo, hi = min(dates[i] for i in used.tolist()), max(dates[i] for i in used.tolist())
        self.first = lo if self.first is None else min(self.first, lo)
        self.last = hi if self.last is None else max(self.last, hi)
        return True

    def put_rows(self, rows: Iterable[tuple[int, dt.date, str, str]], chunk: int = 20_000) -> bool:
        """Add (pupil id, date, session, code) rows of pupils on the roll; False on a repeat."""
        _, number = code_numbers()
        buf: list[tuple[int, dt.date, str, str]] = []

        def flush() -> bool:
            dates: dict[dt.date, int] = {}
            pupil = np.array([self.index[r[0]] for r in buf], dtype=np.int64)
            date_ix = np.array([dates.setdefault(r[1], len(dates)) for r in buf], dtype=np.int64)
            pm = np.array([r[2] == "PM" for r in buf], dtype=np.int64)
            code = np.array([number[r[3]] for r in buf], dtype=np.uint8)
            return self.put(pupil, date_ix, [d.toordinal() for d in dates], pm, code)

        for row in rows:
            buf.append(row)
            if len(buf) >= chunk:
                if not flush():
                    return False
                buf = []
        return flush() if buf else True

    def weeks(self) -> Iterator[tuple[int, np.ndarray]]:
        """(Monday's ordinal, the block's rows of 14 code numbers by roll position)."""
        for monday_ord, b in sorted(self.blocks.items()):
            yield monday_ord, self.cells[b * self.n * SLOTS:(b + 1) * self.n * SLOTS].reshape(
                self.n, SLOTS)

    def write(self, session: Session, school_id: int, trust_id: int,
              batch_id: int | None) -> None:
        """Merge the marks into the school's stored weeks: a session given here replaces the
        stored one, other sessions of a stored week are kept, and each written week's counts are
        computed afresh. Raw SQL names the school in every statement (it does not get the
        session's tenant criteria).

        New weeks (the usual import: days not imported before) go straight into the table, on
        PostgreSQL with one ``COPY`` when row-level security does not apply to the session
        (``COPY`` cannot check policies); weeks already stored go through a temporary table,
        their old rows deleted and the merged ones inserted."""
        conn = session.connection()
        pg = conn.dialect.name == "postgresql"
        weeks = list(self.weeks())
        if not weeks:
            return
        if pg:  # one writer per school at a time: a second import waits, then sees the first's
            # weeks as stored and merges into them (SQLite allows one writer in any case)
            conn.execute(text("SELECT pg_advisory_xact_lock(:k, :s)"),
                         {"k": WRITE_LOCK, "s": school_id})
        mondays = [dt.date.fromordinal(m) for m, _ in weeks]
        stored = conn.execute(text(
            "SELECT 1 FROM attendance_weeks WHERE school_id = :s AND week_start IN "
            f"({', '.join(f':w{i}' for i in range(len(mondays)))}) LIMIT 1"),
            {"s": school_id, **{f"w{i}": m for i, m in enumerate(mondays)}}).first()
        if stored is None and not (pg and conn.execute(text(
                "SELECT row_security_active('attendance_weeks')")).scalar()):
            self._insert(conn, pg, "attendance_weeks", ("school_id", "trust_id", "batch_id",
                                                        *_WEEK),
                         (self._rows(w, g, (school_id, trust_id, batch_id), pg)
                          for w, g in weeks))
            return
        tmp = f"attendance_weeks_in_{uuid.uuid4().hex[:10]}"
        conn.execute(text(f"CREATE TEMPORARY TABLE {tmp} (pupil_id INTEGER, week_start DATE, "
                          f"marks VARCHAR(28), "
                          f"{', '.join(f + ' INTEGER' for f in COUNT_FIELDS)})"))
        try:
            if stored is not None:  # (before the COPY below, which holds the connection)
                for monday_ord, grid in weeks:
                    self._overlay(conn, school_id, monday_ord, grid)
            self._insert(conn, pg, tmp, _WEEK, (self._rows(w, g, (), pg) for w, g in weeks))
            if stored is not None:
                conn.execute(text(
                    f"DELETE FROM attendance_weeks WHERE school_id = :s AND EXISTS (SELECT 1 "
                    f"FROM {tmp} t WHERE t.pupil_id = attendance_weeks.pupil_id "
                    f"AND t.week_start = attendance_weeks.week_start)"), {"s": school_id})
            conn.execute(text(
                f"INSERT INTO attendance_weeks (school_id, trust_id, {', '.join(_WEEK)}, "
                f"batch_id) SELECT :s, :t, {', '.join(_WEEK)}, :b FROM {tmp} "
                f"ORDER BY pupil_id, week_start"),
                {"s": school_id, "t": trust_id, "b": batch_id})
        finally:
            conn.execute(text(f"DROP TABLE IF EXISTS {tmp}"))

    def _overlay(self, conn, school_id: int, monday_ord: int, grid: np.ndarray) -> None:
        """Fill the sessions this import leaves empty from the stored week, for every pupil
        the import gives marks that week."""
        marked = grid.any(axis=1)
        for pid, marks in conn.execute(text(
                "SELECT pupil_id, marks FROM attendance_weeks WHERE school_id = :s "
                "AND week_start = :w"), {"s": school_id, "w": dt.date.fromordinal(monday_ord)}):
            i = self.index.get(pid)
            if i is not None and marked[i]:
                grid[i] = np.where(grid[i] == 0, to_numbers(marks), grid[i])

    def _rows(self, monday_ord: int, grid: np.ndarray, prefix: tuple, pg: bool):
        """The week's rows (``prefix`` values first) for the pupils with marks in it: CSV bytes
        for PostgreSQL's ``COPY``, tuples for SQLite."""
        rows = np.nonzero(grid.any(axis=1))[0]
        block = grid[rows]
        sums = counts(block, np.full(len(rows), monday_ord, dtype=np.int64),
                      self.roll_from[rows], self.roll_to[rows])
        iso = dt.date.fromordinal(monday_ord).isoformat()
        if not pg:
            return [(*prefix, pid, iso, m, *c) for pid, m, c in
                    zip(self.ids[rows].tolist(), to_text(block), sums.tolist())]
        lead = "".join(f"{'' if v is None else v}," for v in prefix)
        return csv_rows(f"{lead}%s,{iso},%s,%s\n", self.ids[rows], block, sums)

    @staticmethod
    def _insert(conn, pg: bool, table: str, cols: Sequence[str], chunks: Iterable) -> None:
        raw = conn.connection.driver_connection
        if pg:  # no value holds a comma, quote or newline: each is a bare CSV field
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN "
                                               f"WITH (FORMAT csv)") as copy:
                for block in chunks:
                    copy.write(block)
        else:
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            for rows in chunks:
                raw.executemany(sql, rows)


_WEEK = ("pupil_id", "week_start", "marks") + COUNT_FIELDS


class Mark(NamedTuple):
    date: dt.date
    session: str
    code: str


def marks_between(session: Session, school_id: int, pupil_id: int, start: dt.date,
                  end: dt.date) -> list[Mark]:
    """One pupil's marks from ``start`` to ``end``, in date and session order."""
    from plugins.attendance.models import AttendanceWeek

    rows = session.execute(select(AttendanceWeek.week_start, AttendanceWeek.marks).where(
        AttendanceWeek.school_id == school_id, AttendanceWeek.pupil_id == pupil_id,
        AttendanceWeek.week_start >= monday(start), AttendanceWeek.week_start <= end)
        .order_by(AttendanceWeek.week_start))
    return [Mark(*m) for week, marks in rows for m in decode(week, marks)
            if start <= m[0] <= end]


def latest_mark_date(session: Session, school_id: int, up_to: dt.date,
                     pupil_id: int | None = None) -> dt.date | None:
    """The last day up to ``up_to`` with a mark at the school (or for one pupil)."""
    from plugins.attendance.models import AttendanceWeek

    where = [AttendanceWeek.school_id == school_id, AttendanceWeek.week_start <= up_to]
    if pupil_id is not None:
        where.append(AttendanceWeek.pupil_id == pupil_id)
    while True:
        week = session.scalar(select(func.max(AttendanceWeek.week_start)).where(*where))
        if week is None:
            return None
        days = [d for marks in session.scalars(select(AttendanceWeek.marks).where(
                    *where, AttendanceWeek.week_start == week))
                for d, _, _ in decode(week, marks) if d <= up_to]
        if days:
            return max(days)
        where.append(AttendanceWeek.week_start < week)
