"""Writing marks in bulk: a staging table per import, then one set-based upsert and a rebuild
of the weekly summaries the import touched.

PostgreSQL loads the staging table with ``COPY``; SQLite with ``executemany``. Either way the
marks go in with ``INSERT ... SELECT ... ON CONFLICT (pupil_id, date, session) DO UPDATE``, so
re-importing a day replaces its marks and never duplicates them. Raw SQL does not get the
session's tenant criteria, so every statement here names the school explicitly.
"""
from __future__ import annotations

import uuid
from typing import Iterable, Sequence

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

# line, pupil_id, date (ISO), session, code, week_start (ISO)
StagedRow = tuple[int, int, str, str, str, str]


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


SUMMARY_FIELDS = ("possible", "present", "aea", "authorised", "unauthorised", "late_before",
                  "late_after", "not_possible")


class Staging:
    """A temporary table holding one import's rows until they are checked and merged."""

    def __init__(self, session: Session):
        self.session = session
        self.conn = session.connection()
        self.pg = self.conn.dialect.name == "postgresql"
        self.name = f"attendance_staging_{uuid.uuid4().hex[:10]}"
        self.rows = 0
        self.conn.execute(text(
            f"CREATE TEMPORARY TABLE {self.name} (line INTEGER NOT NULL, pupil_id INTEGER NOT "
            f"NULL, date DATE NOT NULL, session VARCHAR(2) NOT NULL, code VARCHAR(2) NOT NULL, "
            f"week_start DATE NOT NULL)"))

    def add(self, rows: Sequence[StagedRow]) -> None:
        """Append a chunk of checked rows."""
        if not rows:
            return
        self.rows += len(rows)
        if self.pg:
            raw = self.conn.connection.driver_connection
            with raw.cursor() as cur:
                with cur.copy(f"COPY {self.name} (line, pupil_id, date, session, code, "
                              f"week_start) FROM STDIN") as copy:
                    # text format: only the backslash (the PM present mark) needs escaping
                    copy.write("".join(
                        f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4].replace(chr(92), chr(92) * 2)}"
                        f"\t{r[5]}\n" for r in rows))
        else:
            raw = self.conn.connection.driver_connection
            raw.executemany(f"INSERT INTO {self.name} VALUES (?,?,?,?,?,?)", rows)

    def duplicates(self, limit: int) -> tuple[int, list[tuple[int, int]]]:
        """Rows that repeat an earlier row's pupil, date and session: (count, [(line,
        first_line)...]) with at most ``limit`` listed."""
        if self.pg:
            self.conn.execute(text(f"ANALYZE {self.name}"))
        dup = (f"SELECT s.line AS line, f.first_line AS first_line FROM {self.name} s JOIN "
               f"(SELECT pupil_id, date, session, MIN(line) AS first_line, COUNT(*) AS n FROM "
               f"{self.name} GROUP BY pupil_id, date, session HAVING COUNT(*) > 1) f "
               f"ON f.pupil_id = s.pupil_id AND f.date = s.date AND f.session = s.session")
        count = self.conn.execute(text(f"SELECT COUNT(*) FROM ({dup}) d "
                                       f"WHERE line <> first_line")).scalar() or 0
        if not count:
            return 0, []
        rows = self.conn.execute(text(f"SELECT line, first_line FROM ({dup}) d WHERE line <> "
                                      f"first_line ORDER BY line LIMIT {int(limit)}")).all()
        return int(count), [(r[0], r[1]) for r in rows]

    def merge(self, school_id: int, trust_id: int, batch_id: int | None) -> int:
        """Upsert the staged rows into the marks and rebuild the weeks they touch."""
        upsert = (
            f"INSERT INTO attendance_marks (school_id, trust_id, pupil_id, date, session, code, "
            f"week_start, batch_id) SELECT :school_id, :trust_id, pupil_id, date, session, code, "
            f"week_start, :batch_id FROM {self.name} WHERE true "
            f"ON CONFLICT (pupil_id, date, session) DO UPDATE SET code = excluded.code, "
            f"batch_id = excluded.batch_id")
        self.conn.execute(text(upsert), {"school_id": school_id, "trust_id": trust_id,
                                         "batch_id": batch_id})
        keys = f"SELECT DISTINCT pupil_id, week_start FROM {self.name}"
        rebuild_weeks(self.session, school_id, keys)
        return self.rows

    def drop(self) -> None:
        self.conn.execute(text(f"DROP TABLE IF EXISTS {self.name}"))


def rebuild_weeks(session: Session, school_id: int, keys_sql: str,
                  params: dict | None = None) -> None:
    """Recompute the weekly summaries of the (pupil_id, week_start) pairs that ``keys_sql``
    selects, from the marks, counting only days the pupil was on roll."""
    params = dict(params or {}, school_id=school_id)
    conn = session.connection()
    t = "attendance_weekly_summaries"
    conn.execute(text(
        f"DELETE FROM {t} WHERE school_id = :school_id AND EXISTS (SELECT 1 FROM ({keys_sql}) k "
        f"WHERE k.pupil_id = {t}.pupil_id AND k.week_start = {t}.week_start)"), params)
    conn.execute(text(
        f"INSERT INTO {t} (school_id, trust_id, pupil_id, week_start, {', '.join(SUMMARY_FIELDS)}) "
        f"SELECT m.school_id, m.trust_id, m.pupil_id, m.week_start, {summary_columns('m')} "
        f"FROM attendance_marks m JOIN ({keys_sql}) k ON k.pupil_id = m.pupil_id "
        f"AND k.week_start = m.week_start JOIN pupils p ON p.id = m.pupil_id "
        f"WHERE m.school_id = :school_id AND m.date >= p.on_roll_from "
        f"AND (p.on_roll_to IS NULL OR m.date <= p.on_roll_to) "
        f"GROUP BY m.school_id, m.trust_id, m.pupil_id, m.week_start"), params)


def rebuild_pupil(session: Session, school_id: int, pupil_id: int) -> None:
    """Recompute every week of one pupil (after their roll dates change)."""
    rebuild_weeks(session, school_id,
                  "SELECT DISTINCT pupil_id, week_start FROM attendance_marks "
                  "WHERE pupil_id = :pupil_id AND school_id = :school_id",
                  {"pupil_id": pupil_id})


def store_rows(session: Session, school_id: int, trust_id: int, rows: Iterable[StagedRow],
               batch_id: int | None = None) -> int:
    """Stage and merge already-checked rows in one go (demo data, tests, small API uploads)."""
    staging = Staging(session)
    try:
        chunk: list[StagedRow] = []
        for r in rows:
            chunk.append(r)
            if len(chunk) >= 5000:
                staging.add(chunk)
                chunk = []
        staging.add(chunk)
        return staging.merge(school_id, trust_id, batch_id)
    finally:
        staging.drop()
