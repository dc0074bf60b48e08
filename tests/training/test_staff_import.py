"""Importing the school's adults from a CSV export: the default layout, a preview with adds,
changes and leavers, all or nothing with each problem's line and field, leavers ended rather
than deleted, and accounts only through invitations (never a chosen password, never a
case-file role)."""
from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from core.cli import build_cli
from core.db import SYSTEM
from core.errors import NotFound, ValidationError
from core.models import Membership, User
from core.models.invitations import Invitation
from plugins.training import staff_import
from plugins.training.models import StaffMember

from .training_constants import TODAY

HEADER = "Staff ID,First Name,Last Name,Email,Job Role,Safeguarding Role,Recruits,Start Date," \
         "Leaving Date,Account\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def _people(session, school):
    return {p.name: p for p in session.scalars(select(StaffMember).where(
        StaffMember.school_id == school.id))}


def _link(raw: str) -> str:
    return f"https://mat.example.org/invite/{raw}"


def test_a_first_import_adds_everyone_and_invites_who_asks_for_an_account(
        session, make_school, make_user):
    school = make_school()
    _, admin = make_user("school_admin", school)
    data = _csv("S1,Asha,Patel,Asha.Patel@school.example,teacher,dsl,yes,01/09/2019,,yes",
                "S2,Tom,Reed,,Volunteer,,no,,,no",
                "S3,Cara,Lund,cara@build.example,Contractor,,,2026-10-01,,")
    plan = staff_import.plan_import(session, admin, school.id, data, today=TODAY)
    assert plan.ok and plan.counts() == {"adds": 3, "changes": 0, "leavers": 0,
                                         "unchanged": 0, "invitations": 1, "problems": 0}
    assert session.scalar(select(func.count()).select_from(StaffMember)) == 0  # preview only
    result = staff_import.apply_plan(session, admin, school.id, plan, link=_link, today=TODAY)
    people = _people(session, school)
    asha = people["Asha Patel"]
    assert (asha.mis_id, asha.email, asha.job_role, asha.safeguarding_role, asha.recruits,
            asha.started_on) == ("S1", "asha.patel@school.example", "teacher", "dsl", True,
                                 dt.date(2019, 9, 1))
    assert (people["Tom Reed"].job_role, people["Cara Lund"].job_role) == ("volunteer",
                                                                           "contractor")
    user = session.scalar(select(User).where(User.email == "asha.patel@school.example"))
    assert user.password_hash is None  # she sets her own, from the invitation
    assert session.scalar(select(Invitation.id).where(Invitation.user_id == user.id))
    roles = session.scalars(select(Membership.role).where(Membership.user_id == user.id)).all()
    assert roles == ["staff"]  # a DSL in training terms, never a case-file role by import
    [(name, email, link)] = result["links"]
    assert (name, email) == ("Asha Patel", "asha.patel@school.example")
    assert link.startswith("https://mat.example.org/invite/")
    # the same file again: nothing to do
    again = staff_import.plan_import(session, admin, school.id, data, today=TODAY)
    assert again.counts() == {"adds": 0, "changes": 0, "leavers": 0, "unchanged": 3,
                              "invitations": 0, "problems": 0}


def test_changes_and_leavers_end_rather_than_delete(session, make_school, make_user):
    school = make_school()
    _, admin = make_user("school_admin", school)
    staff_import.apply_plan(session, admin, school.id, staff_import.plan_import(
        session, admin, school.id, _csv("S1,Asha,Patel,asha@school.example,teacher,,,,,",
                                        "S2,Tom,Reed,tom@school.example,support_staff,,,,,",
                                        ",Ola,Berg,,governor,,,,,"), today=TODAY), today=TODAY)
    data = _csv("S1,Asha,Patel-Hughes,asha.hughes@school.example,headteacher,,,,,",
                ",Ola,Berg,,governor,,,,31/12/2026,")
    plan = staff_import.plan_import(session, admin, school.id, data, today=TODAY)
    [(asha, _, changed)] = [c for c in plan.changes if c[0].mis_id == "S1"]
    assert changed["name"] == ("Asha Patel", "Asha Patel-Hughes")
    assert changed["email"] == ("asha@school.example", "asha.hughes@school.example")
    assert changed["job_role"] == ("teacher", "headteacher")
    assert [p.name for p in plan.leavers] == ["Tom Reed"]
    staff_import.apply_plan(session, admin, school.id, plan, today=TODAY)
    people = _people(session, school)
    assert set(people) == {"Asha Patel-Hughes", "Tom Reed", "Ola Berg"}  # kept, not deleted
    assert people["Tom Reed"].left_on == TODAY
    assert people["Ola Berg"].left_on == dt.date(2026, 12, 31)
    # an email that is someone else's on the list is refused, naming them
    clash = staff_import.plan_import(session, admin, school.id, _csv(
        "S2,Tom,Reed,asha.hughes@school.example,support_staff,,,,,"), full=False, today=TODAY)
    assert [(e.line, e.field, e.message) for e in clash.errors] == [
        (2, "email", "asha.hughes@school.example is Asha Patel-Hughes's on the staff list")]
    # a partial file ends nobody
    partial = staff_import.plan_import(session, admin, school.id,
                                       _csv("S9,New,Person,,teacher,,,,,"), full=False,
                                       today=TODAY)
    assert (len(partial.adds), partial.leavers) == (1, [])


def test_every_bad_row_is_reported_and_nothing_is_written(session, make_school, make_user):
    school = make_school()
    _, admin = make_user("school_admin", school)
    data = _csv("S1,Asha,Patel,asha@school.example,teacher,,,,,",
                "S2,,,,teacher,,,,,",
                "S3,Tom,Reed,not-an-email,caretaker,head,maybe,31/02/2026,,",
                "S1,Ola,Berg,asha@school.example,governor,,,,,yes",
                "S5,Nia,Cole,,teacher,,,01/09/2026,01/01/2026,yes")
    plan = staff_import.plan_import(session, admin, school.id, data, today=TODAY)
    found = {(e.line, e.field) for e in plan.errors}
    assert found == {(3, "last_name"), (4, "email"), (4, "job_role"),
                     (4, "safeguarding_role"), (4, "recruits"), (4, "start_date"),
                     (5, "staff_id"), (5, "email"), (6, "leaving_date"), (6, "account")}
    assert "caretaker" in next(e.message for e in plan.errors if e.field == "job_role")
    with pytest.raises(ValidationError):
        staff_import.apply_plan(session, admin, school.id, plan, today=TODAY)
    assert session.scalar(select(func.count()).select_from(StaffMember)) == 0
    for bad, field in ((b"name,email\nA,a@b.org\n", "header"), (b"\xff\xfe", "file"),
                       (b"", "file")):
        with pytest.raises(ValidationError) as exc:
            staff_import.plan_import(session, admin, school.id, bad, today=TODAY)
        assert field in exc.value.errors


def test_who_may_import_and_who_may_give_accounts(session, make_school, make_user):
    school = make_school()
    _, dsl = make_user("dsl", school)
    _, staff = make_user("staff", school)
    _, other_admin = make_user("school_admin", make_school())
    data = _csv("S1,Asha,Patel,asha@school.example,teacher,,,,,yes")
    for actor in (staff, other_admin):
        with pytest.raises(NotFound):
            staff_import.plan_import(session, actor, school.id, data, today=TODAY)
    # a DSL keeps training records but does not give platform accounts
    plan = staff_import.plan_import(session, dsl, school.id, data, today=TODAY)
    assert [(e.line, e.field) for e in plan.errors] == [(2, "account")]


def run(*args):
    return CliRunner().invoke(build_cli(), list(args), obj=object())


def test_the_command_previews_imports_and_reports_bad_rows(db, session, make_school, tmp_path):
    school = make_school()
    session.commit()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv("S1,Asha,Patel,asha@school.example,teacher,,,,,",
                         "S2,Tom,Reed,tom@school.example,janitor,,,,,"))
    out = run("staff", "import", "--school", school.urn, str(bad))
    assert out.exit_code == 2 and "line 3: job_role: 'janitor' is not one of" in out.output
    assert "nothing imported: 1 problem(s)" in out.output
    good = tmp_path / "good.csv"
    good.write_bytes(_csv("S1,Asha,Patel,asha@school.example,teacher,,,,,yes",
                          "S2,Tom,Reed,,volunteer,,,,,"))
    out = run("staff", "import", "--school", school.urn, "--dry-run", str(good))
    assert out.exit_code == 0, out.output
    assert "2 to add, 0 to change, 0 leaving, 0 unchanged, 1 to invite" in out.output
    assert "dry run: nothing changed" in out.output
    with db.session(SYSTEM) as s:
        assert s.scalar(select(func.count()).select_from(StaffMember)) == 0
    out = run("staff", "import", "--school", school.urn, str(good))
    assert out.exit_code == 2 and "--site: is needed to invite people" in out.output
    out = run("staff", "import", "--school", school.urn, "--site", "https://mat.example.org",
              str(good))
    assert out.exit_code == 0, out.output
    assert "imported: 2 added, 0 changed, 0 left, 1 invited" in out.output
    assert "invitation for Asha Patel <asha@school.example>" in out.output
    with db.session(SYSTEM) as s:
        assert s.scalar(select(func.count()).select_from(StaffMember)) == 2


def test_a_school_with_training_off_has_no_staff_import(db, session, make_school, tmp_path):
    school = make_school(plugins=())
    session.commit()
    path = tmp_path / "staff.csv"
    path.write_bytes(_csv("S1,Asha,Patel,,teacher,,,,,"))
    out = run("staff", "import", "--school", school.urn, str(path))
    assert out.exit_code == 2 and f"training is switched off for {school.urn}" in out.output
