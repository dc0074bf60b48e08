"""Registers stored a week per row: the text format and counts worked by hand, the fast CSV
path agreeing with the exact one on any file, and migration att0002 carrying every mark and
count across (and back)."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from core import pupils, schools
from core.calendar import england_terms
from core.db import SYSTEM, Database
from core.migrate import alembic_config, upgrade
from core.plugins import make_host
from plugins.attendance import importer
from plugins.attendance.importer import Checker, import_long_csv
from plugins.attendance.parsing import ErrorLog, Layout
from plugins.attendance.weeks import decode, encode, week_counts
from tests.attendance.conftest import stored_marks

D = dt.date
MON = D(2025, 9, 8)


def test_week_text_by_hand():
    text_ = encode({0: "/", 1: "\\", 4: "C1", 13: "#"})
    # slots 0, 1, then 2 and 3 empty, 4 (Wednesday AM), 5 to 12 empty, 13 (Sunday PM)
    assert text_ == "/ \\ " + " " * 4 + "C1" + " " * 16 + "# "
    assert list(decode(MON, text_)) == [(MON, "AM", "/"), (MON, "PM", "\\"),
                                        (D(2025, 9, 10), "AM", "C1"), (D(2025, 9, 14), "PM", "#")]


def test_week_counts_by_hand_and_only_on_roll():
    # Mon: present, late before close | Tue: late after close, unexplained | Wed: illness,
    # approved activity (B) | Thu: closure (#) both sessions
    marks = encode({0: "/", 1: "L", 2: "U", 3: "N", 4: "I", 5: "B", 6: "#", 7: "#"})
    never = D(9999, 12, 31)
    # possible, present, aea, authorised, unauthorised, late_before, late_after, not_possible
    assert week_counts(MON, marks, D(2025, 9, 1), never) == [6, 2, 1, 1, 2, 1, 1, 2]
    # joined on Tuesday, left on Wednesday: only Tue and Wed count
    assert week_counts(MON, marks, D(2025, 9, 9), D(2025, 9, 10)) == [4, 0, 1, 1, 2, 0, 1, 0]


# --- the fast path and the exact path ------------------------------------------------------

def _import(session, school, content: bytes, fast: bool, monkeypatch) -> dict:
    """Import ``content`` inside a savepoint that is rolled back; returns what it did."""
    if not fast:
        monkeypatch.setattr(importer, "_fast_long_csv", lambda *a, **k: None)
    try:
        with session.begin_nested() as sp:
            errors = ErrorLog()
            out = import_long_csv(session, school.id, school.trust_id, io.BytesIO(content),
                                  Layout(), Checker(session, school.id), errors)
            got = {"ok": out.ok, "imported": out.imported, "rows": out.rows_read,
                   "first": out.first_date, "last": out.last_date,
                   "errors": sorted((e["line"], e["field"], e["problem"]) for e in errors.items),
                   "count": errors.count,
                   "stored": stored_marks(session, school_id=school.id)}
            sp.rollback()
    finally:
        monkeypatch.undo()
    return got


DAYS = ["2025-09-08", "08/09/2025", "2025-09-09", "2025-09-13", "2025-13-01", "2099-09-08"]
CODES = ["/", "\\", "L", "N", "i", "C1", "#", "H", "Q9", ""]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(0, 2), st.sampled_from(DAYS),
                               st.sampled_from(["AM", "PM", "pm", "XX"]),
                               st.sampled_from(CODES)), min_size=1, max_size=12),
       blank=st.booleans())
def test_fast_and_exact_paths_agree_on_any_file(session, make_school, make_pupil, upn,
                                               monkeypatch, rows, blank):
    school = make_school()
    kids = [make_pupil(school, upn=upn()) for _ in range(2)]
    upns = [k.upn for k in kids] + ["A999999999999"]
    lines = ["UPN,Date,Session,Mark"] + [f"{upns[p]},{d},{s},{c}" for p, d, s, c in rows]
    if blank:
        lines.insert(2, "")
    content = ("\n".join(lines) + "\n").encode()
    fast = _import(session, school, content, True, monkeypatch)
    exact = _import(session, school, content, False, monkeypatch)
    assert fast == exact


def test_a_good_file_takes_the_fast_path_and_a_bad_one_the_exact(session, make_school,
                                                                 make_pupil, upn, monkeypatch):
    school = make_school()
    a = make_pupil(school, upn=upn())
    taken = []
    real = importer._fast_long_csv

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(importer, "_fast_long_csv", spy)
    good = f"UPN,Date,Session,Mark\n{a.upn},2025-09-08,AM,/\n{a.upn},2025-09-08,PM,N\n".encode()
    out = import_long_csv(session, school.id, school.trust_id, io.BytesIO(good), Layout(),
                          Checker(session, school.id), ErrorLog())
    assert out.ok and out.imported == 2 and taken == [True]
    bad = f"UPN,Date,Session,Mark\n{a.upn},2025-09-09,AM,/\n{a.upn},2025-09-09,AM,N\n".encode()
    errors = ErrorLog()
    out = import_long_csv(session, school.id, school.trust_id, io.BytesIO(bad), Layout(),
                          Checker(session, school.id), errors)
    assert taken == [True, False] and not out.ok
    assert [(e["line"], e["field"]) for e in errors.items] == [(3, "row")]
    assert stored_marks(session, a.id) == [(MON, "AM", "/"), (MON, "PM", "N")]


def test_reimport_keeps_the_other_sessions_of_a_week(session, make_school, make_pupil, upn):
    school = make_school()
    a = make_pupil(school, upn=upn())

    def run(body: str):
        out = import_long_csv(session, school.id, school.trust_id,
                              io.BytesIO(("UPN,Date,Session,Mark\n" + body).encode()), Layout(),
                              Checker(session, school.id), ErrorLog())
        assert out.ok

    run(f"{a.upn},2025-09-08,AM,/\n{a.upn},2025-09-08,PM,\\\n{a.upn},2025-09-09,AM,N\n")
    run(f"{a.upn},2025-09-09,AM,I\n{a.upn},2025-09-10,PM,L\n")
    assert stored_marks(session, a.id) == [
        (MON, "AM", "/"), (MON, "PM", "\\"), (D(2025, 9, 9), "AM", "I"),
        (D(2025, 9, 10), "PM", "L")]


# --- migration att0002 -----------------------------------------------------------------------

def test_migration_carries_marks_and_counts_across_and_back(database_factory, backend):
    url = database_factory.url(backend)
    upgrade(url, "core@head", host=make_host())  # today's core, attendance as it was
    upgrade(url, "att0001", host=make_host())
    db = Database(url)
    database_factory.engines.append(db.engine)
    with db.transaction(SYSTEM) as s:
        trust = schools.create_trust(s, "Migrating")
        school = schools.create_school(s, trust.id, "246810", "Migrating School")
        schools.set_terms(s, school.id, england_terms(2025))
        p = pupils.add_pupil(s, None, school.id, first_name="Ada", last_name="Moved",
                             date_of_birth=D(2016, 1, 1), year_group=4, on_roll_from=D(2025, 9, 1))
        ids = {"s": school.id, "t": trust.id, "p": p.id}
        marks = [(MON, "AM", "/"), (MON, "PM", "L"), (D(2025, 9, 12), "PM", "C1"),
                 (D(2025, 9, 15), "AM", "N")]
        for day, sess, code in marks:
            s.execute(text(
                "INSERT INTO attendance_marks (school_id, trust_id, pupil_id, date, session, "
                "code, week_start, batch_id) VALUES (:s, :t, :p, :d, :x, :c, :w, NULL)"),
                {**ids, "d": day, "x": sess, "c": code,
                 "w": day - dt.timedelta(days=day.weekday())})
        for week, counts in ((MON, (3, 2, 0, 1, 0, 1, 0, 0)), (D(2025, 9, 15),
                                                              (1, 0, 0, 0, 1, 0, 0, 0))):
            s.execute(text(
                "INSERT INTO attendance_weekly_summaries (school_id, trust_id, pupil_id, "
                "week_start, possible, present, aea, authorised, unauthorised, late_before, "
                "late_after, not_possible) VALUES (:s, :t, :p, :w, :c0, :c1, :c2, :c3, :c4, "
                ":c5, :c6, :c7)"), {**ids, "w": week, **{f"c{i}": v for i, v in
                                                         enumerate(counts)}})
    upgrade(url, "heads", host=make_host())
    with db.transaction(SYSTEM) as s:
        rows = s.execute(text("SELECT week_start, marks, possible, late_before, unauthorised "
                              "FROM attendance_weeks ORDER BY week_start")).all()
        assert [(str(r[0])[:10], r[1], r[2], r[3], r[4]) for r in rows] == [
            ("2025-09-08", "/ L " + " " * 14 + "C1" + " " * 8, 3, 1, 0),
            ("2025-09-15", "N " + " " * 26, 1, 0, 1)]
        assert stored_marks(s, p.id) == marks
    command.downgrade(alembic_config(url, make_host()), "att0001")
    with db.transaction(SYSTEM) as s:
        back = s.execute(text("SELECT date, session, code FROM attendance_marks "
                              "ORDER BY date, session")).all()
        assert [(str(d)[:10], x, c) for d, x, c in back] == [
            (d.isoformat(), x, c) for d, x, c in marks]
        assert s.execute(text("SELECT COUNT(*), SUM(possible) FROM "
                              "attendance_weekly_summaries")).one() == (2, 4)


def test_week_start_of_stored_rows_is_a_monday(session, make_school, make_pupil, put):
    school = make_school()
    a = make_pupil(school)
    put(school, [(a, "2025-09-10", "AM", "/"), (a, "2025-09-19", "PM", "N")])
    weeks = session.execute(text("SELECT week_start FROM attendance_weeks WHERE pupil_id = :p"),
                            {"p": a.id}).scalars().all()
    assert sorted(str(w)[:10] for w in weeks) == ["2025-09-08", "2025-09-15"]


def test_copy_rows_are_fixed_width_csv_by_hand():
    import numpy as np

    from plugins.attendance.weeks import code_numbers, csv_rows

    _, number = code_numbers()
    block = np.zeros((2, 14), dtype=np.uint8)
    block[0, 0], block[1, 13] = number["/"], number["C1"]
    sums = np.array([[1, 2, 3, 4, 5, 6, 7, 8], [10, 0, 0, 0, 0, 0, 0, 14]])
    out = csv_rows("1,2,,%s,2025-09-08,%s,%s\n", np.array([42, 1234567]), block, sums)
    assert out.decode().splitlines() == [
        "1,2,,0000000042,2025-09-08,/" + " " * 27 + ",01,02,03,04,05,06,07,08",
        "1,2,,0001234567,2025-09-08," + " " * 26 + "C1,10,00,00,00,00,00,00,14"]


@pytest.mark.postgresql_only
def test_two_imports_into_the_same_new_weeks_both_land(database_factory, backend):
    """PostgreSQL, two real transactions: the second import waits for the first to commit,
    then merges into the weeks it wrote instead of failing on their primary key."""
    import threading

    from core.db import SYSTEM

    url, db = database_factory.create(backend)
    with db.transaction(SYSTEM) as s:
        trust = schools.create_trust(s, "Concurrent")
        school = schools.create_school(s, trust.id, "135791", "Concurrent School")
        schools.set_terms(s, school.id, england_terms(2025))
        make_host().set_enabled(s, school.id, "attendance", True)
        kid = pupils.add_pupil(s, None, school.id, first_name="Bo", last_name="Both",
                               date_of_birth=D(2016, 1, 1), year_group=4,
                               on_roll_from=D(2025, 9, 1))
        school_id, trust_id, pid = school.id, trust.id, kid.id
    first_written, release = threading.Event(), threading.Event()
    outcomes = {}

    def run(name: str, body: str, hold: bool):
        try:
            with db.transaction(SYSTEM) as s:
                out = import_long_csv(s, school_id, trust_id,
                                      io.BytesIO(("Pupil,Date,Session,Mark\n" + body).encode()),
                                      Layout(pupil="Pupil", pupil_key="pupil_id"),
                                      Checker(s, school_id, "pupil_id"), ErrorLog())
                if hold:
                    first_written.set()
                    release.wait(10)
            outcomes[name] = out.ok
        except Exception as exc:  # recorded for the assertion below
            outcomes[name] = repr(exc)

    a = threading.Thread(target=run, args=("a", f"{pid},2025-09-08,AM,/\n", True))
    b = threading.Thread(target=run, args=("b", f"{pid},2025-09-08,PM,N\n", False))
    a.start()
    assert first_written.wait(10)
    b.start()
    b.join(0.5)
    assert b.is_alive()  # waiting for the first import's transaction
    release.set()
    a.join(10)
    b.join(10)
    assert outcomes == {"a": True, "b": True}
    with db.transaction(SYSTEM) as s:
        assert stored_marks(s, pid) == [(MON, "AM", "/"), (MON, "PM", "N")]
