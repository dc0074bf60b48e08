"""Per-pupil totals over a school's terms, kept in step with the marks.

A school's academic year is cut into spans at its term dates: each term (or half-term) as the
admin entered it, and the holidays between (1 September to the first term, the gaps, the last
term to 31 August). For each span, ``attendance_term_counts`` holds every pupil's counts over
exactly those days (only days on roll), so a term's or a year's figures, persistent and severe
absence included, are sums of a few rows per pupil in SQL (:mod:`.totals`) rather than of a
row per week.

The totals are written whenever marks are: an import recounts the spans it touches
(:func:`refresh`), a change of roll dates recounts that pupil's spans (:func:`refresh_pupil`)
and a calendar change re-cuts the spans of the years it touches (:func:`realign`). A span is
recounted from the week rows (whole weeks) and the marks (the part-weeks at either end), the
same counts the week rows hold. Everything here is raw SQL on a connection, naming the school
in every statement, so migration att0003 fills the tables with the same code.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Sequence

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Connection

from plugins.attendance.weeks import COUNT_FIELDS, NEVER, WIDTH, counts, monday, numbers_of

Span = tuple[dt.date, dt.date]


def as_date(value) -> dt.date:
    """A date as the driver returns it (SQLite gives text)."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _year_of(day: dt.date) -> int:
    return day.year if day.month >= 9 else day.year - 1


def calendar_spans(terms: Iterable[Span], years: Iterable[int] | None = None) -> list[Span]:
    """The spans of each academic year that has terms: the terms and the days between, from
    1 September to 31 August. A term overlapping an earlier one, or running past its year's
    end, is left out (its days fall in the holiday spans around it)."""
    by_year: dict[int, list[Span]] = {}
    for start, end in sorted(terms):
        if end >= start:
            by_year.setdefault(_year_of(start), []).append((start, end))
    wanted = None if years is None else set(years)
    spans: list[Span] = []
    for year, spans_of_year in sorted(by_year.items()):
        if wanted is not None and year not in wanted:
            continue
        cursor, last = dt.date(year, 9, 1), dt.date(year + 1, 8, 31)
        for start, end in spans_of_year:
            if start < cursor or end > last:
                continue
            if start > cursor:
                spans.append((cursor, start - dt.timedelta(days=1)))
            spans.append((start, end))
            cursor = end + dt.timedelta(days=1)
        if cursor <= last:
            spans.append((cursor, last))
    return spans


def _terms_of(conn: Connection, school_id: int) -> list[Span]:
    return [(as_date(a), as_date(b)) for a, b in conn.execute(text(
        "SELECT start_date, end_date FROM terms WHERE school_id = :s"), {"s": school_id})]


def _stored(conn: Connection, school_id: int, lo: dt.date, hi: dt.date) -> list[Span]:
    return [(as_date(a), as_date(b)) for a, b in conn.execute(text(
        "SELECT term_start, term_end FROM attendance_terms WHERE school_id = :s "
        "AND term_end >= :lo AND term_start <= :hi"), {"s": school_id, "lo": lo, "hi": hi})]


def span_counts(conn: Connection, school_id: int, a: dt.date, b: dt.date,
                pupil_ids: Sequence[int] | None = None) -> dict[int, list[int]]:
    """Each pupil's counts (in :data:`COUNT_FIELDS` order) over the days ``a`` to ``b``: the
    stored counts of the whole weeks inside, the part-weeks at either end from their marks."""
    sums: dict[int, np.ndarray] = {}
    only = ""
    params: dict = {"s": school_id}
    if pupil_ids is not None:
        if not pupil_ids:
            return {}
        only = f" AND w.pupil_id IN ({', '.join(f':p{i}' for i in range(len(pupil_ids)))})"
        params.update({f"p{i}": p for i, p in enumerate(pupil_ids)})

    def add(pid: int, values) -> None:
        acc = sums.get(pid)
        sums[pid] = np.asarray(values, dtype=np.int64) if acc is None else acc + values

    first_whole = a if a.weekday() == 0 else monday(a) + dt.timedelta(days=7)
    last_whole = monday(b) if b.weekday() == 6 else monday(b) - dt.timedelta(days=7)
    if first_whole <= last_whole:
        cols = ", ".join(f"SUM(w.{f})" for f in COUNT_FIELDS)
        for pid, *values in conn.execute(text(
                f"SELECT w.pupil_id, {cols} FROM attendance_weeks w WHERE w.school_id = :s "
                f"AND w.week_start >= :w0 AND w.week_start <= :w1{only} GROUP BY w.pupil_id"),
                {**params, "w0": first_whole, "w1": last_whole}):
            add(pid, np.array([int(v or 0) for v in values], dtype=np.int64))
        parts = [(a, first_whole - dt.timedelta(days=1)),
                 (last_whole + dt.timedelta(days=7), b)]
    else:
        parts = [(a, b)]
    for lo, hi in parts:
        day = lo
        while day <= hi:  # a part-range covers at most two weeks
            week_end = min(hi, monday(day) + dt.timedelta(days=6))
            for pid, values in _part_week(conn, school_id, day, week_end, only, params):
                add(pid, values)
            day = week_end + dt.timedelta(days=1)
    return {pid: v.tolist() for pid, v in sums.items() if v[0] + v[-1]}


def _part_week(conn: Connection, school_id: int, a: dt.date, b: dt.date, only: str,
               params: dict) -> list[tuple[int, np.ndarray]]:
    """(pupil, counts) over the days ``a`` to ``b`` of one week, from the stored marks."""
    rows = conn.execute(text(
        f"SELECT w.pupil_id, w.marks, p.on_roll_from, p.on_roll_to FROM attendance_weeks w "
        f"JOIN pupils p ON p.id = w.pupil_id WHERE w.school_id = :s AND w.week_start = :m"
        f"{only}"), {**params, "m": monday(a)}).all()
    if not rows:
        return []
    first = np.array([max(as_date(r[2]), a).toordinal() for r in rows], dtype=np.int64)
    last = np.array([min(as_date(r[3]) if r[3] is not None else NEVER, b).toordinal()
                     for r in rows], dtype=np.int64)
    sums = counts(numbers_of([r[1] for r in rows]),
                  np.full(len(rows), monday(a).toordinal(), dtype=np.int64), first, last)
    return [(r[0], s) for r, s in zip(rows, sums)]


def _trust_of(conn: Connection, school_id: int) -> int:
    return conn.execute(text("SELECT trust_id FROM schools WHERE id = :s"),
                        {"s": school_id}).scalar_one()


def last_marked_day(conn: Connection, school_id: int, span: Span) -> dt.date | None:
    """The last day of the span with any stored mark at the school (any pupil, on roll or
    not: a mark that does not count only makes the answer later, never wrongly earlier)."""
    a, b = span
    hi = monday(b)
    while True:
        week = conn.execute(text(
            "SELECT MAX(week_start) FROM attendance_weeks WHERE school_id = :s "
            "AND week_start >= :lo AND week_start <= :hi"),
            {"s": school_id, "lo": monday(a), "hi": hi}).scalar()
        if week is None:
            return None
        week = as_date(week)
        slots = set()
        for (marks,) in conn.execute(text(
                "SELECT marks FROM attendance_weeks WHERE school_id = :s AND week_start = :w"),
                {"s": school_id, "w": week}):
            slots.update(k for k in range(len(marks) // WIDTH)
                         if marks[k * WIDTH:(k + 1) * WIDTH].strip())
        days = [d for d in (week + dt.timedelta(days=k // 2) for k in slots) if a <= d <= b]
        if days:
            return max(days)
        hi = week - dt.timedelta(days=7)


def mark_last_day(conn: Connection, school_id: int, span: Span) -> None:
    """Store the span's :func:`last_marked_day` (``attendance_terms.last_marked``)."""
    conn.execute(text("UPDATE attendance_terms SET last_marked = :d WHERE school_id = :s "
                      "AND term_start = :a"),
                 {"d": last_marked_day(conn, school_id, span), "s": school_id, "a": span[0]})


def count_span(conn: Connection, school_id: int, span: Span,
               pupil_ids: Sequence[int] | None = None, trust_id: int | None = None,
               last_marked: bool = True) -> None:
    """(Re)write the span's per-pupil totals (all pupils, or those named) and, unless told
    not to (migration att0003 runs before the column exists), its last marked day."""
    a, b = span
    trust_id = trust_id if trust_id is not None else _trust_of(conn, school_id)
    params = {"s": school_id, "a": a}
    where = "school_id = :s AND term_start = :a"
    if pupil_ids is not None:
        where += f" AND pupil_id IN ({', '.join(f':p{i}' for i in range(len(pupil_ids)))})"
        params.update({f"p{i}": p for i, p in enumerate(pupil_ids)})
    conn.execute(text(f"DELETE FROM attendance_term_counts WHERE {where}"), params)
    rows = span_counts(conn, school_id, a, b, pupil_ids)
    if rows:
        cols = ", ".join(COUNT_FIELDS)
        conn.execute(text(
            f"INSERT INTO attendance_term_counts (school_id, trust_id, pupil_id, term_start, "
            f"term_end, {cols}) VALUES (:s, :t, :p, :a, :b, "
            f"{', '.join(':' + f for f in COUNT_FIELDS)})"),
            [{"s": school_id, "t": trust_id, "p": pid, "a": a, "b": b,
              **dict(zip(COUNT_FIELDS, values))} for pid, values in sorted(rows.items())])
    conn.execute(text("UPDATE attendance_terms SET counted_at = CURRENT_TIMESTAMP "
                      "WHERE school_id = :s AND term_start = :a"), {"s": school_id, "a": a})
    if last_marked:
        mark_last_day(conn, school_id, span)


def _drop(conn: Connection, school_id: int, span: Span) -> None:
    for table in ("attendance_term_counts", "attendance_terms"):
        conn.execute(text(f"DELETE FROM {table} WHERE school_id = :s AND term_start = :a"),
                     {"s": school_id, "a": span[0]})


def realign(conn: Connection, school_id: int, years: Iterable[int],
            touched: Span | None = None, pupil_ids: Sequence[int] | None = None,
            last_marked: bool = True) -> None:
    """Make the school's spans of the academic ``years`` those of its calendar, counting new
    spans in full; spans kept that overlap ``touched`` are recounted (for ``pupil_ids`` only
    when given)."""
    years = sorted(set(years))
    if not years:
        return
    trust_id = _trust_of(conn, school_id)
    lo, hi = dt.date(years[0], 9, 1), dt.date(years[-1] + 1, 8, 31)
    wanted = set(calendar_spans(_terms_of(conn, school_id), years))
    stored = set(_stored(conn, school_id, lo, hi))
    for span in sorted(stored - wanted):
        _drop(conn, school_id, span)
    for span in sorted(wanted):
        if span not in stored:
            conn.execute(text(
                "INSERT INTO attendance_terms (school_id, trust_id, term_start, term_end, "
                "counted_at) VALUES (:s, :t, :a, :b, CURRENT_TIMESTAMP)"),
                {"s": school_id, "t": trust_id, "a": span[0], "b": span[1]})
            count_span(conn, school_id, span, trust_id=trust_id, last_marked=last_marked)
        elif touched is not None and span[0] <= touched[1] and span[1] >= touched[0]:
            count_span(conn, school_id, span, pupil_ids, trust_id=trust_id,
                       last_marked=last_marked)


def refresh(conn: Connection, school_id: int, first: dt.date, last: dt.date) -> None:
    """After marks from ``first`` to ``last`` were written: recount the spans they touch."""
    realign(conn, school_id, range(_year_of(first), _year_of(last) + 1), (first, last))


def refresh_pupil(conn: Connection, school_id: int, pupil_id: int) -> None:
    """After a pupil's roll dates changed: recount every stored span for that pupil."""
    for span in _stored(conn, school_id, dt.date(1900, 1, 1), NEVER):
        # the marks are unchanged, so is each span's last marked day
        count_span(conn, school_id, span, [pupil_id], last_marked=False)


def years_with_data(conn: Connection, school_id: int) -> list[int]:
    """The academic years with stored weeks or spans at the school."""
    bounds = conn.execute(text(
        "SELECT MIN(week_start), MAX(week_start) FROM attendance_weeks WHERE school_id = :s"),
        {"s": school_id}).first()
    spans = conn.execute(text(
        "SELECT MIN(term_start), MAX(term_end) FROM attendance_terms WHERE school_id = :s"),
        {"s": school_id}).first()
    days = [as_date(v) for v in (*bounds, *spans) if v is not None]
    if not days:
        return []
    # a week starting on 31 August runs into the next year
    return list(range(_year_of(min(days)), _year_of(max(days) + dt.timedelta(days=6)) + 1))


def realign_school(conn: Connection, school_id: int, last_marked: bool = True) -> None:
    """After the school's calendar changed: re-cut the spans of every year with data."""
    realign(conn, school_id, years_with_data(conn, school_id), last_marked=last_marked)
