"""Imports: every kind of bad row is reported with its line and field and nothing is
imported; a good file imports; importing a day again replaces its marks."""
import datetime as dt

import pytest
from sqlalchemy import select

from plugins.attendance import service
from plugins.attendance.models import AttendanceWeek, ImportBatch
from tests.attendance.conftest import stored_marks

D = dt.date


@pytest.fixture
def run_file(session, tmp_path):
    def _run(school, content: bytes, source="csv", layout=None, name="marks.csv"):
        path = tmp_path / name
        path.write_bytes(content)
        batch = service.create_batch(session, None, school.id, source, str(path), name, layout)
        result = service.run_batch(batch.id)
        session.expire_all()
        return session.get(ImportBatch, batch.id), result
    return _run


def _marks(session, school):
    return len(stored_marks(session, school_id=school.id))


def test_good_long_file_imports(session, make_school, make_pupil, upn, run_file):
    school = make_school()
    a, b = make_pupil(school, upn=upn()), make_pupil(school, upn=upn())
    csv = (f"UPN,Date,Session,Mark\n{a.upn},2025-09-08,AM,/\n{a.upn},08/09/2025,PM,\\\n"
           f"{b.upn},2025-09-08,am,N\n").encode()
    batch, result = run_file(school, csv)
    assert batch.status == "done" and batch.marks_imported == 3 and batch.error_count == 0
    assert (batch.first_date, batch.last_date) == (D(2025, 9, 8), D(2025, 9, 8))
    assert stored_marks(session, a.id) == [(D(2025, 9, 8), "AM", "/"), (D(2025, 9, 8), "PM", "\\")]
    week = session.scalar(select(AttendanceWeek).where(AttendanceWeek.pupil_id == b.id))
    assert (week.possible, week.unauthorised, week.week_start) == (1, 1, D(2025, 9, 8))


def test_every_kind_of_bad_row_is_reported_and_nothing_imported(session, make_school,
                                                                make_pupil, upn, run_file):
    school = make_school()
    a = make_pupil(school, upn=upn())
    rows = [
        "UPN,Date,Session,Mark",
        f"{a.upn},2025-09-08,AM,/",          # 2 good
        f"{a.upn},2025-09-08,PM,Q9",         # 3 wrong code
        "A999999999999,2025-09-09,AM,/",     # 4 unknown pupil
        f"{a.upn},2025-13-01,AM,/",          # 5 bad date
        f"{a.upn},2025-09-13,AM,/",          # 6 Saturday: not a school day
        f"{a.upn},2025-09-08,AM,N",          # 7 duplicate of line 2
        f"{a.upn},2025-09-09,XX,/",          # 8 bad session
        f"{a.upn},2024-09-09,AM,H",          # 9 withdrawn code (and before the terms)
    ]
    content = ("\n".join(rows) + "\n").encode() + f"{a.upn},2025-09-10,AM,".encode() + \
        b"\xe9\xff\n"                        # 10 not UTF-8
    batch, _ = run_file(school, content)
    assert batch.status == "failed" and _marks(session, school) == 0
    found = {(e["line"], e["field"]) for e in batch.errors}
    assert {(3, "Mark"), (4, "UPN"), (5, "Date"), (6, "Date"), (7, "row"), (8, "Session"),
            (9, "Date"), (10, "file")} <= found
    by_line = {e["line"]: e["problem"] for e in batch.errors}
    assert "line 2" in by_line[7] and "not a register code" in by_line[3]
    assert "not a school day" in by_line[6] and "not UTF-8" in by_line[10]
    assert batch.error_count == len(batch.errors) == 8


def test_missing_column_and_pupil_not_on_roll(session, make_school, make_pupil, upn, run_file):
    school = make_school()
    a = make_pupil(school, upn=upn(), on_roll_from=D(2025, 9, 10))
    batch, _ = run_file(school, b"UPN,Date,Mark\nX,2025-09-08,/\n")
    assert batch.status == "failed" and batch.errors == [
        {"line": 1, "field": "Session", "problem": "column missing from the header row"}]
    batch, _ = run_file(school, f"UPN,Date,Session,Mark\n{a.upn},2025-09-08,AM,/\n".encode())
    assert batch.errors[0]["field"] == "UPN" and "not on roll" in batch.errors[0]["problem"]


def test_reimport_replaces_and_updates_summaries(session, make_school, make_pupil, upn,
                                                 run_file):
    school = make_school()
    a = make_pupil(school, upn=upn())
    run_file(school, f"UPN,Date,Session,Mark\n{a.upn},2025-09-08,AM,N\n".encode())
    batch, _ = run_file(school, f"UPN,Date,Session,Mark\n{a.upn},2025-09-08,AM,/\n".encode())
    assert batch.status == "done"
    week = session.scalar(select(AttendanceWeek).where(AttendanceWeek.pupil_id == a.id))
    # Monday AM is the first of the week's fourteen two-character sessions
    assert (week.marks, week.batch_id) == ("/ " + " " * 26, batch.id)
    assert (week.possible, week.present, week.unauthorised) == (1, 1, 0)


def test_wide_layout_with_custom_columns(session, make_school, make_pupil, run_file):
    school = make_school()
    a, b = make_pupil(school), make_pupil(school)
    csv = (f"Pupil no,Name,2025-09-08 AM,2025-09-08 PM,09/09/2025 AM\n"
           f"{a.id},A,/,\\,L\n{b.id},B,I,,N\n").encode()
    batch, _ = run_file(school, csv, layout={"format": "wide", "pupil": "Pupil no",
                                             "pupil_key": "pupil_id"})
    assert batch.status == "done" and batch.marks_imported == 5
    bad, _ = run_file(school, f"Pupil no,2025-09-08 AM\n{a.id},ZZ\n".encode(),
                      layout={"format": "wide", "pupil": "Pupil no", "pupil_key": "pupil_id"})
    assert bad.errors == [{"line": 2, "field": "2025-09-08 AM",
                           "problem": "'ZZ' is not a register code"}]


def test_ctf_attendance_marks(session, make_school, make_pupil, upn, run_file):
    school = make_school()
    a = make_pupil(school, upn=upn())
    # Fri 5 Sep AM/PM, Sat, Sun (skipped), Mon 8 Sep AM/PM
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<CTfile><Header><DocumentName>Common Transfer File</DocumentName></Header>
<CTFpupilData><Pupil><UPN>{a.upn}</UPN><Surname>TEST</Surname>
<Attendance><YearData><Year>2025</Year><AttendSessions>
<AttendanceStartDate>2025-09-05</AttendanceStartDate>
<AttendanceMarks>/\\####NI</AttendanceMarks></AttendSessions></YearData></Attendance>
</Pupil></CTFpupilData></CTfile>""".encode()
    batch, _ = run_file(school, xml, source="ctf", name="ctf.xml")
    assert batch.status == "done" and batch.marks_imported == 4
    got = {d: c for d, s, c in stored_marks(session, a.id) if s == "PM"}
    assert got == {D(2025, 9, 5): "\\", D(2025, 9, 8): "I"}


def test_ctf_with_entities_is_refused(session, make_school, run_file):
    school = make_school()
    evil = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><CTfile>&a;</CTfile>"""
    batch, _ = run_file(school, evil, source="ctf", name="x.xml")
    assert batch.status == "failed" and batch.errors[0]["field"] == "file"


def test_bad_layout_is_refused(session, make_school):
    from core.errors import ValidationError

    school = make_school()
    with pytest.raises(ValidationError) as exc:
        service.create_batch(session, None, school.id, "csv", "/nowhere", "x.csv",
                             {"format": "diagonal", "colour": "red"})
    assert set(exc.value.errors) == {"format", "colour"}


def test_a_file_that_cannot_be_read_fails_the_batch(session, make_school, tmp_path):
    school = make_school()
    batch = service.create_batch(session, None, school.id, "csv", str(tmp_path / "gone.csv"),
                                 "gone.csv")
    with pytest.raises(FileNotFoundError):
        service.run_batch(batch.id)
    session.expire_all()
    failed = session.get(ImportBatch, batch.id)
    assert failed.status == "failed" and failed.errors[0]["problem"] == \
        "the import stopped: FileNotFoundError"
