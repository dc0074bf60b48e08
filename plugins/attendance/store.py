"""Writing marks in bulk: a staging table per import, set-based checks, then one upsert and a
rebuild of the weekly summaries the import touched.

PostgreSQL loads the staging table with ``COPY``; SQLite with ``executemany``. The marks go in
with ``INSERT ... SELECT ... ON CONFLICT (pupil_id, date, session) DO UPDATE``, so re-importing
a day replaces its marks and never duplicates them. Raw SQL does not get the session's tenant
criteria, so every statement here names the school explicitly.
"""
from __future__ import annotations

import re
import uuid
from typing import Callable, Sequence

from sqlalchemy import text
from sqlalchemy.orm import Session

from .codes import (
    AEA,
    AUTHORISED,
    LATE_AFTER_CLOSE,
    LATE_BEFORE_CLOSE,
    PRESENT,
    UNAUTHORISED,
    codes_in,
)

SUMMARY_FIELDS = ("possible", "present", "aea", "authorised", "unauthorised", "late_before",
                  "late_after", "not_possible")
# COPY's text format: these characters in a value must be escaped
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_LINE = re.compile(r'line \d+(?:, column \w+)?: "(\d+),')


def _in(codes: list[str]) -> str:
    return "(" + ",".join("'" + c.replace("'", "''") + "'" for c in codes) + ")"


def summary_columns(alias: str = "m") -> str:
    """SUM(CASE ...) expressions for the summary columns, in :data:`SUMMARY_FIELDS` order."""
    c = f"{alias}.code"
    possible = codes_in(PRESENT, AEA, AUTHORISED, UNAUTHORISED)
    parts = [
        _in(possible), _in(codes_in(PRESENT)), _in(codes_in(AEA)), _in(codes_in(AUTHORISED)),
        _in(codes_in(UNAUTHORISED)), _in([LATE_BEFORE_CLOSE]), _in([LATE_AFTER_CLOSE]),
    ]
    sums = [f"SUM(CASE WHEN {c} IN {p} THEN 1 ELSE 0 END)" for p in parts]
    sums.append(f"SUM(CASE WHEN {c} IN {_in(possible)} THEN 0 ELSE 1 END)")
    return ", ".join(sums)


class CopyFailed(Exception):
    """PostgreSQL refused a row of a CSV file (a row with the wrong number of fields)."""

    def __init__(self, line: int, problem: str):
        super().__init__(problem)
        self.line, self.problem = line, problem


class Staging:
    """A temporary table of text columns (plus the file's line number) for one import."""

    def __init__(self, session: Session, columns: Sequence[str]):
        self.session = session
        self.conn = session.connection()
        self.pg = self.conn.dialect.name == "postgresql"
        self.name = f"attendance_staging_{uuid.uuid4().hex[:10]}"
        self.columns = list(columns)
        self.rows = 0
        cols = ", ".join(f"{c} TEXT" for c in self.columns)
        self.conn.execute(text(f"CREATE TEMPORARY TABLE {self.name} (line INTEGER NOT NULL, "
                               f"{cols})"))

    def temp(self, suffix: str, columns: str) -> str:
        """Create a helper temporary table named after this staging table."""
        name = f"{self.name}_{suffix}"
        self.conn.execute(text(f"CREATE TEMPORARY TABLE {name} ({columns})"))
        return name

    def add(self, rows: Sequence[tuple]) -> None:
        """Append rows (line, value, value...)."""
        if not rows:
            return
        self.rows += len(rows)
        raw = self.conn.connection.driver_connection
        if self.pg:
            with raw.cursor() as cur:
                with cur.copy(f"COPY {self.name} (line, {', '.join(self.columns)}) "
                              f"FROM STDIN") as copy:
                    copy.write("".join(
                        "\t".join(str(v).translate(_COPY_ESCAPES) for v in r) + "\n"
                        for r in rows))
        else:
            marks = ",".join("?" * (len(self.columns) + 1))
            raw.executemany(f"INSERT INTO {self.name} VALUES ({marks})", rows)

    def copy_csv_lines(self, chunks: Callable[[], bytes | None],
                       progress: Callable[[], None] | None = None) -> None:
        """PostgreSQL only: COPY CSV bytes whose every line starts with its line number
        (``chunks()`` returns the next block of whole lines, or None at the end), one COPY per
        block so progress is reported between them, never while a COPY holds the connection.
        A row the server refuses is raised as :class:`CopyFailed` with its line."""
        import psycopg

        raw = self.conn.connection.driver_connection
        sql = (f"COPY {self.name} (line, {', '.join(self.columns)}) FROM STDIN "
               f"WITH (FORMAT csv)")
        try:
            with self.session.begin_nested():
                while (block := chunks()) is not None:
                    if block:
                        with raw.cursor() as cur, cur.copy(sql) as copy:
                            copy.write(block)
                    if progress:
                        progress()
        except psycopg.errors.DataError as exc:
            m = _COPY_LINE.search(exc.diag.context or "")
            problem = (exc.diag.message_primary or str(exc)).replace("column", "field")
            raise CopyFailed(int(m.group(1)) if m else 0, problem) from None
        self.rows = self.conn.execute(text(f"SELECT COUNT(*) FROM {self.name}")).scalar()

    def analyze(self) -> None:
        if self.pg:  # temporary tables have no statistics until asked: the joins need them
            self.conn.execute(text(f"ANALYZE {self.name}"))

    def drop(self) -> None:
        for suffix in ("", "_p", "_d", "_s", "_c", "_r"):
            self.conn.execute(text(f"DROP TABLE IF EXISTS {self.name}{suffix}"))


def merge(session: Session, school_id: int, trust_id: int, batch_id: int | None,
          resolved_sql: str, first, last) -> None:
    """Insert the marks that ``resolved_sql`` selects (pupil_id, day, session, code, week),
    replacing any already stored for the same session, and rebuild the weeks they touch.

    The staged marks are known to be unique, so when the school has no marks yet between
    ``first`` and ``last`` a plain INSERT does (the common case: new days); otherwise an
    upsert. Rows go in key order, which keeps the primary-key index writes local."""
    conn = session.connection()
    overlap = conn.execute(text(
        "SELECT 1 FROM attendance_marks WHERE school_id = :school_id AND date >= :first "
        "AND date <= :last LIMIT 1"), {"school_id": school_id, "first": first, "last": last}
    ).first() is not None
    upsert = (" ON CONFLICT (pupil_id, date, session) DO UPDATE SET code = excluded.code, "
              "batch_id = excluded.batch_id") if overlap else ""
    conn.execute(text(
        f"INSERT INTO attendance_marks (school_id, trust_id, pupil_id, date, session, code, "
        f"week_start, batch_id) SELECT :school_id, :trust_id, r.pupil_id, r.day, r.session, "
        f"r.code, r.week, :batch_id FROM ({resolved_sql}) r WHERE true "
        f"ORDER BY r.pupil_id, r.day, r.session{upsert}"),
        {"school_id": school_id, "trust_id": trust_id, "batch_id": batch_id})
    rebuild_weeks(session, school_id,
                  f"SELECT DISTINCT r.pupil_id, r.week AS week_start FROM ({resolved_sql}) r")


def rebuild_weeks(session: Session, school_id: int, keys_sql: str,
                  params: dict | None = None) -> None:
    """Recompute the weekly summaries of the (pupil_id, week_start) pairs that ``keys_sql``
    selects, from the marks, counting only days the pupil was on roll. The pairs are first
    put in an indexed temporary table, so both statements join it rather than re-running
    ``keys_sql`` per summary row (which SQLite would)."""
    params = dict(params or {}, school_id=school_id)
    conn = session.connection()
    keys = f"attendance_keys_{uuid.uuid4().hex[:10]}"
    t = "attendance_weekly_summaries"
    conn.execute(text(f"CREATE TEMPORARY TABLE {keys} (pupil_id INTEGER, week_start DATE)"))
    try:
        conn.execute(text(f"INSERT INTO {keys} (pupil_id, week_start) {keys_sql}"), params)
        conn.execute(text(f"CREATE INDEX {keys}_ix ON {keys} (pupil_id, week_start)"))
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"ANALYZE {keys}"))
        conn.execute(text(
            f"DELETE FROM {t} WHERE school_id = :school_id AND EXISTS (SELECT 1 FROM {keys} k "
            f"WHERE k.pupil_id = {t}.pupil_id AND k.week_start = {t}.week_start)"), params)
        conn.execute(text(
            f"INSERT INTO {t} (school_id, trust_id, pupil_id, week_start, "
            f"{', '.join(SUMMARY_FIELDS)}) "
            f"SELECT m.school_id, m.trust_id, m.pupil_id, m.week_start, {summary_columns('m')} "
            f"FROM {keys} k JOIN attendance_marks m ON k.pupil_id = m.pupil_id "
            f"AND k.week_start = m.week_start JOIN pupils p ON p.id = m.pupil_id "
            f"WHERE m.school_id = :school_id AND m.date >= p.on_roll_from "
            f"AND (p.on_roll_to IS NULL OR m.date <= p.on_roll_to) "
            f"GROUP BY m.school_id, m.trust_id, m.pupil_id, m.week_start"), params)
    finally:
        conn.execute(text(f"DROP TABLE IF EXISTS {keys}"))


def rebuild_pupil(session: Session, school_id: int, pupil_id: int) -> None:
    """Recompute every week of one pupil (after their roll dates change)."""
    rebuild_weeks(session, school_id,
                  "SELECT DISTINCT pupil_id, week_start FROM attendance_marks "
                  "WHERE pupil_id = :pupil_id AND school_id = :school_id",
                  {"pupil_id": pupil_id})
