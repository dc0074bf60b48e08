"""The staging table an import's rows are checked in, and recounting a pupil's weeks.

PostgreSQL loads the staging table with ``COPY``; SQLite with ``executemany``. Writing the
checked marks into the stored weeks is :meth:`.weeks.WeekGrid.write`. Raw SQL does not get the
session's tenant criteria, so every statement here names the school explicitly.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Callable, Sequence

from sqlalchemy import text
from sqlalchemy.orm import Session


# COPY's text format: these characters in a value must be escaped
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_LINE = re.compile(r'line \d+(?:, column \w+)?: "(\d+),')


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


def rebuild_pupil(session: Session, school_id: int, pupil_id: int) -> None:
    """Recount every stored week of one pupil (after their roll dates change): marks outside
    the new time on roll stay stored but stop counting."""
    from core.models import Pupil

    from plugins.attendance.weeks import COUNT_FIELDS, NEVER, week_counts

    pupil = session.get(Pupil, pupil_id)
    conn = session.connection()
    rows = conn.execute(text("SELECT week_start, marks FROM attendance_weeks WHERE "
                             "school_id = :s AND pupil_id = :p"),
                        {"s": school_id, "p": pupil_id}).all()
    if not rows:
        return
    sets = ", ".join(f"{f} = :{f}" for f in COUNT_FIELDS)
    params = []
    for week, marks in rows:
        week = week if isinstance(week, dt.date) else dt.date.fromisoformat(str(week)[:10])
        values = week_counts(week, marks, pupil.on_roll_from, pupil.on_roll_to or NEVER)
        params.append({**dict(zip(COUNT_FIELDS, values)), "s": school_id, "p": pupil_id,
                       "w": week})
    conn.execute(text(f"UPDATE attendance_weeks SET {sets} WHERE school_id = :s "
                      f"AND pupil_id = :p AND week_start = :w"), params)  # one executemany
    from plugins.attendance.terms import refresh_pupil

    refresh_pupil(conn, school_id, pupil_id)
