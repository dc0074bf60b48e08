"""Checking staged register marks (the importer's check, before anything is merged).

Each *distinct* pupil, date, session and code of the staging table is checked once in Python
against the school (its roll, its calendar, the code table) into small lookup tables; SQL then
finds every row that fails a lookup, falls on a closed session or outside the pupil's time on
roll, or repeats another row. The rows that pass are resolved once into a table of their own,
which the duplicate check and the merge both read.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from sqlalchemy import text

from plugins.attendance.codes import NEW_CODES_FROM, normalise
from plugins.attendance.parsing import ERROR_LIMIT
from plugins.attendance.store import Staging

if TYPE_CHECKING:
    from plugins.attendance.importer import Checker, Columns

MAX_DISTINCT = 50_000  # more different dates or pupils than this is not a register file


def _distinct(st: Staging, col: str) -> list[str]:
    rows = st.conn.execute(text(f"SELECT DISTINCT {col} FROM {st.name} LIMIT "
                                f"{MAX_DISTINCT + 1}")).scalars().all()
    return [r if r is not None else "" for r in rows]


def _fill(st: Staging, table: str, rows: list[dict]) -> None:
    if rows:
        cols = list(rows[0])
        st.conn.execute(text(f"INSERT INTO {table} ({', '.join(cols)}) VALUES "
                             f"({', '.join(':' + c for c in cols)})"), rows)


# --- the lookup tables: each distinct value checked once in Python ------------------------------

@dataclass
class Lookups:
    """The helper tables holding each distinct value that passed its check (``raw`` and what it
    stands for), and why each refused pupil, date or session value was refused."""

    pupils: str
    dates: str
    sessions: str
    codes: str
    problems: dict[str, dict[str, str]] = field(
        default_factory=lambda: {"p": {}, "d": {}, "s": {}})


def lookup_tables(st: Staging, c: Columns, checker: Checker) -> Lookups | None:
    """Check the distinct pupils, dates, sessions and codes and fill the lookup tables; None
    when there are too many different values for a register file."""
    t = Lookups(st.temp("p", "raw TEXT, pupil_id INTEGER, roll_from DATE, roll_to DATE"),
                st.temp("d", "raw TEXT, day DATE, am INTEGER, pm INTEGER, new_era INTEGER"),
                st.temp("s", "raw TEXT, session TEXT"),
                st.temp("c", "raw TEXT, new_era INTEGER, code TEXT"))
    pupils, dates, sessions, codes_ = (_distinct(st, col)
                                       for col in (c.pupil, c.date, c.session, c.code))
    if max(len(pupils), len(dates), len(sessions), len(codes_)) > MAX_DISTINCT:
        return None
    d_rows = _checked_dates(dates, checker, t.problems["d"])
    eras = {r["new_era"] for r in d_rows}
    for table, rows in ((t.pupils, _checked_pupils(pupils, checker, t.problems["p"])),
                        (t.dates, d_rows),
                        (t.sessions, _checked_sessions(sessions, checker, t.problems["s"])),
                        (t.codes, _checked_codes(codes_, checker, eras))):
        _fill(st, table, rows)
        if st.pg:
            st.conn.execute(text(f"ANALYZE {table}"))
    return t


def _checked_pupils(raws: list[str], checker: Checker, problems: dict[str, str]) -> list[dict]:
    rows = []
    for raw in raws:
        hit = checker.pupil(raw)
        if isinstance(hit, str):
            problems[raw] = hit
        else:
            rows.append({"raw": raw, "pupil_id": hit[0], "roll_from": hit[1], "roll_to": hit[2]})
    return rows


def _checked_dates(raws: list[str], checker: Checker, problems: dict[str, str]) -> list[dict]:
    rows = []
    for raw in raws:
        hit = checker.date(raw)
        if isinstance(hit, str):
            problems[raw] = hit
        else:
            day, open_ = hit
            rows.append({"raw": raw, "day": day, "am": int("AM" in open_),
                         "pm": int("PM" in open_), "new_era": int(day >= NEW_CODES_FROM)})
    return rows


def _checked_sessions(raws: list[str], checker: Checker,
                      problems: dict[str, str]) -> list[dict]:
    rows = []
    for raw in raws:
        s = checker.session(raw)
        if s is None:
            problems[raw] = f"{raw.strip()!r} is not a session: AM or PM"
        else:
            rows.append({"raw": raw, "session": s})
    return rows


def _checked_codes(raws: list[str], checker: Checker, eras: set[int]) -> list[dict]:
    """Each code as stored in each code era the file's dates fall in (a code unknown in an era
    has no row: the SQL check names the problem)."""
    rows = []
    for raw in raws:
        by_era = checker.code_by_era(raw)
        rows += [{"raw": raw, "new_era": era, "code": by_era[era]} for era in eras
                 if by_era[era] is not None]
    return rows


# --- the checks: SQL finds every row failing a lookup -------------------------------------------

@dataclass
class Findings:
    """The problems the checks found: how many in all, and the first ``ERROR_LIMIT`` of each
    check as (line, field, problem)."""

    total: int = 0
    items: list[tuple[int, str, str]] = field(default_factory=list)

    def add(self, n: int, items: Iterable[tuple[int, str, str]]) -> None:
        self.total += n
        self.items += items


def _bad(st: Staging, sql: str, select_: str) -> tuple[int, list]:
    """How many staged rows ``sql`` (joins and a WHERE on the staging table ``s``) finds, and
    ``select_`` of the first ``ERROR_LIMIT`` of them after their line."""
    n = st.conn.execute(text(f"SELECT COUNT(*) FROM {st.name} s {sql}")).scalar()
    if not n:
        return 0, []
    rows = st.conn.execute(text(f"SELECT s.line, {select_} FROM {st.name} s {sql} "
                                f"ORDER BY s.line LIMIT {ERROR_LIMIT}")).all()
    return n, rows


def _find_refused_values(st: Staging, c: Columns, t: Lookups, found: Findings) -> None:
    """Rows whose pupil, date or session is not in its lookup table, with the reason."""
    for key, table, col, field_ in (("p", t.pupils, c.pupil, c.pupil_field),
                                    ("d", t.dates, c.date, c.date_field),
                                    ("s", t.sessions, c.session, c.session_field)):
        n, rows = _bad(st, f"LEFT JOIN {table} x ON x.raw = s.{col} WHERE x.raw IS NULL",
                       f"s.{col}, {field_}")
        found.add(n, [(r[0], r[2], t.problems[key].get(r[1] or "", "not readable"))
                      for r in rows])


def _find_unknown_codes(st: Staging, c: Columns, t: Lookups, found: Findings) -> None:
    """Rows whose code is not a code on their date (the codes changed in August 2024)."""
    n, rows = _bad(st, f"JOIN {t.dates} d ON d.raw = s.{c.date} LEFT JOIN {t.codes} x "
                       f"ON x.raw = s.{c.code} AND x.new_era = d.new_era WHERE x.raw IS NULL",
                   f"s.{c.code}, d.day, {c.code_field}")
    found.add(n, [(r[0], r[3], normalise(r[1] or "", as_date(r[2]))[1]) for r in rows])


def _find_closed_sessions(st: Staging, c: Columns, t: Lookups, found: Findings) -> None:
    """Rows marking a session the school's calendar has closed."""
    n, rows = _bad(st, f"JOIN {t.dates} d ON d.raw = s.{c.date} JOIN {t.sessions} x "
                       f"ON x.raw = s.{c.session} "
                       f"WHERE (x.session = 'AM' AND d.am = 0) OR (x.session = 'PM' AND d.pm = 0)",
                   f"d.day, x.session, {c.session_field}")
    found.add(n, [(r[0], r[3], f"the school was closed on {as_date(r[1])} {r[2]}") for r in rows])


def _find_marks_off_roll(st: Staging, c: Columns, t: Lookups, found: Findings) -> None:
    """Rows dated outside the pupil's time on roll."""
    n, rows = _bad(st, f"JOIN {t.dates} d ON d.raw = s.{c.date} JOIN {t.pupils} x "
                       f"ON x.raw = s.{c.pupil} WHERE d.day < x.roll_from OR d.day > x.roll_to",
                   f"s.{c.pupil}, d.day, {c.pupil_field}")
    found.add(n, [(r[0], r[3], f"pupil {(r[1] or '').strip()} was not on roll on {as_date(r[2])}")
                  for r in rows])


def find_problems(st: Staging, c: Columns, t: Lookups) -> Findings:
    """Every staged row that fails a lookup: a pupil, date or session refused, a code unknown
    on its date, a closed session, a date off the pupil's roll."""
    found = Findings()
    for check in (_find_refused_values, _find_unknown_codes, _find_closed_sessions,
                  _find_marks_off_roll):
        check(st, c, t, found)
    return found


def resolve(st: Staging, c: Columns, t: Lookups) -> str:
    """A helper table of every row that passes the lookups as (line, pupil_id, day, session,
    stored code)."""
    r_t = st.temp("r", "line INTEGER, pupil_id INTEGER, day DATE, session TEXT, code TEXT")
    st.conn.execute(text(
        f"INSERT INTO {r_t} (line, pupil_id, day, session, code) "
        f"SELECT s.line AS line, p.pupil_id AS pupil_id, d.day AS day, x.session AS "
        f"session, k.code AS code FROM {st.name} s "
        f"JOIN {t.pupils} p ON p.raw = s.{c.pupil} JOIN {t.dates} d ON d.raw = s.{c.date} "
        f"JOIN {t.sessions} x ON x.raw = s.{c.session} "
        f"JOIN {t.codes} k ON k.raw = s.{c.code} AND k.new_era = d.new_era"))
    if st.pg:
        st.conn.execute(text(f"ANALYZE {r_t}"))
    return r_t


def find_repeats(st: Staging, r_t: str, found: Findings) -> None:
    """Rows repeating an earlier row's pupil, date and session."""
    resolved = f"SELECT line, pupil_id, day, session, code FROM {r_t}"
    dup = (f"FROM ({resolved}) r JOIN (SELECT pupil_id, day, session, MIN(line) AS first_line "
           f"FROM ({resolved}) q GROUP BY pupil_id, day, session HAVING COUNT(*) > 1) f "
           f"ON f.pupil_id = r.pupil_id AND f.day = r.day AND f.session = r.session "
           f"WHERE r.line <> f.first_line")
    n = st.conn.execute(text(f"SELECT COUNT(*) {dup}")).scalar()
    if n:
        found.add(n, [(r[0], "row", f"repeats the mark for the same pupil, date and session "
                                    f"given on line {r[1]}") for r in st.conn.execute(text(
                          f"SELECT r.line, f.first_line {dup} ORDER BY r.line "
                          f"LIMIT {ERROR_LIMIT}"))])


def as_date(value) -> dt.date | None:
    """A date read back from the database (SQLite answers text)."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
