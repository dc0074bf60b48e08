"""Importing a provider's CSV: all or nothing, every bad row reported with line, field and
problem; a second import of the same file adds nothing."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.errors import NotFound, ValidationError
from plugins.training.service import import_csv, parse_date
from plugins.training.models import TrainingRecord

from .training_constants import TODAY


def _count(session, school):
    return session.scalar(select(func.count()).select_from(TrainingRecord).where(
        TrainingRecord.school_id == school.id))


@pytest.fixture
def school_with_staff(make_school, make_person):
    school = make_school()
    make_person(school, "teacher", name="Asha Patel", email="asha@example.org")
    make_person(school, "midday_supervisor", name="Bill Jones")
    make_person(school, "support_staff", name="Chris Lee")
    make_person(school, "support_staff", name="Chris Lee")  # two people share a name
    return school


def test_good_file_imports_every_row_and_again_adds_nothing(session, school_with_staff,
                                                             make_user):
    _, admin = make_user("school_admin", school=school_with_staff)
    data = ("\ufeffName,Email,Course,Completed_On,Provider\n"
            "Asha Patel,ASHA@example.org,annual_update,2026-09-02,Local authority\n"
            "Bill Jones,,Safeguarding induction,15/10/2026,In school\n").encode()
    result = import_csv(session, admin, school_with_staff.id, data, today=TODAY)
    assert (result.ok, result.imported, result.skipped) == (True, 2, 0)
    rows = session.scalars(select(TrainingRecord).where(
        TrainingRecord.school_id == school_with_staff.id).order_by(TrainingRecord.id)).all()
    assert [(r.completed_on, r.provider, r.source) for r in rows] == [
        (dt.date(2026, 9, 2), "Local authority", "import"),
        (dt.date(2026, 10, 15), "In school", "import")]
    again = import_csv(session, admin, school_with_staff.id, data, today=TODAY)
    assert (again.imported, again.skipped) == (0, 2)
    assert _count(session, school_with_staff) == 2


def test_bad_rows_are_all_reported_and_nothing_is_imported(session, school_with_staff,
                                                            make_user):
    _, admin = make_user("dsl", school=school_with_staff)
    data = ("name,email,course,completed_on,provider\n"
            "Asha Patel,asha@example.org,annual_update,2026-09-02,LA\n"      # line 2: good
            ",nobody@example.org,annual_update,2026-09-02,LA\n"              # 3: unknown email
            "Chris Lee,,prevent,2026-09-02,LA\n"                             # 4: ambiguous name
            "Bill Jones,,first aid,2026-09-02,LA\n"                          # 5: unknown course
            "Bill Jones,,induction,31/02/2026,LA\n"                          # 6: not a date
            "Bill Jones,,induction,2026-12-01,LA\n"                          # 7: future
            "\n"                                                             # blank: ignored
            ",,induction,,LA\n").encode()                                    # 9: who? when?
    result = import_csv(session, admin, school_with_staff.id, data, today=TODAY)
    assert not result.ok and result.imported == 0
    assert [(e.line, e.field) for e in result.errors] == [
        (3, "email"), (4, "name"), (5, "course"), (6, "completed_on"), (7, "completed_on"),
        (9, "email"), (9, "completed_on")]
    assert "2 people" in result.errors[1].message
    assert "future" in result.errors[4].message
    assert _count(session, school_with_staff) == 0


@pytest.mark.parametrize("data, field", [
    (b"", "file"),
    (b"name,course\nAsha Patel,induction\n", "header"),
    (b"course,completed_on\ninduction,2026-01-01\n", "header"),
    ("name,course,completed_on\nZo\u00eb,induction,2026-01-01\n".encode("latin-1"), "file"),
])
def test_unreadable_files_name_the_problem(session, school_with_staff, data, field):
    with pytest.raises(ValidationError) as exc:
        import_csv(session, None, school_with_staff.id, data, today=TODAY)
    assert field in exc.value.errors


def test_staff_and_trust_may_not_import(session, school_with_staff, make_user):
    data = b"name,course,completed_on\nBill Jones,induction,2026-01-01\n"
    for role, kw in (("staff", {"school": school_with_staff}),
                     ("trust_lead", {"trust": school_with_staff.trust})):
        _, actor = make_user(role, **kw)
        with pytest.raises(NotFound):
            import_csv(session, actor, school_with_staff.id, data, today=TODAY)
    assert _count(session, school_with_staff) == 0


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))  # core.date_limits
def test_both_date_forms_read_back_the_same_day(day):
    assert parse_date(day.isoformat()) == day
    assert parse_date(day.strftime("%d/%m/%Y")) == day
    assert parse_date(f"  {day.strftime('%d/%m/%Y')} ") == day


@given(st.text(max_size=12))
def test_anything_else_is_refused(text):
    looks_like_a_date = re.fullmatch(r"\s*(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4})\s*",
                                     text, flags=re.ASCII)
    try:
        parse_date(text)
    except ValueError:
        return
    assert looks_like_a_date, f"{text!r} was read as a date"
