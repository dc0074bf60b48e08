"""The retention pages with the plugins' records (issue 14): a pupil's old registers on the due
list and their destruction from the pupil's page (a form without confirmation comes back
naming it), a leaver's training records listed apart and destroyed from the due list, the
trust's periods listing every plugin's rule, and the subject access page offering the plugins'
records to withhold; the new form refuses anyone but the DSL with 404."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.web.conftest import CSRF_VALUE

from core.plugins import make_host, use_host

from core.models.retention import Destruction
from plugins.attendance.models import AttendanceWeek
from plugins.attendance.weeks import encode
from plugins.training.models import StaffMember, TrainingRecord
from plugins.training.service import ensure_courses

DESTROY = "/schools/{}/retention/records/destroy"


@pytest.fixture
def host():
    """The installed plugins (not the page tests' throwaway one): their records are the point."""
    h = make_host()
    use_host(h)
    yield h
    use_host(None)


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": CSRF_VALUE, **data})


def _old_weeks(session, world):
    for start in (dt.date(2021, 9, 6), dt.date(2021, 9, 13)):
        session.add(AttendanceWeek(school_id=world.school.id, trust_id=world.trust.id,
                                   pupil_id=world.pupil.id, week_start=start,
                                   marks=encode({k: "/" for k in range(10)}), possible=10,
                                   present=10))
    session.flush()


def test_old_registers_are_due_and_the_dsl_destroys_them_from_the_pupils_page(
        client, as_role, world, session):
    _old_weeks(session, world)
    as_role("dsl")
    body = client.get(f"/schools/{world.school.id}/retention").get_data(as_text=True)
    assert "Due now (1)" in body and "Okafor, Amelia" in body and "Attendance registers" in body
    assert "3 years from the last day of the register&#39;s week" in body
    page = f"/schools/{world.school.id}/pupils/{world.pupil.id}/retention"
    body = client.get(page).get_data(as_text=True)
    assert "Destroy: Attendance registers" in body
    form = dict(record_type="attendance.registers", subject=f"pupil:{world.pupil.id}",
                destroy_reason="Three years have passed")
    resp = _post(client, DESTROY.format(world.school.id), **form)
    assert resp.status_code == 422 and "Tick to confirm" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(AttendanceWeek).where(
        AttendanceWeek.pupil_id == world.pupil.id)) == 2
    resp = _post(client, DESTROY.format(world.school.id), confirm="yes", **form)
    assert resp.status_code == 302 and resp.location.endswith(page)
    assert session.scalar(select(func.count()).select_from(AttendanceWeek).where(
        AttendanceWeek.pupil_id == world.pupil.id)) == 0
    body = client.get(page).get_data(as_text=True)
    assert "Attendance registers (3 years; ended 12 September 2024): register weeks 2" in body


def test_a_leavers_training_is_listed_apart_and_destroyed_from_the_due_list(
        client, as_role, world, session):
    course = ensure_courses(session, world.trust.id)[0]
    leaver = StaffMember(school_id=world.school.id, name="Lee Long", job_role="teacher",
                         left_on=dt.date(2018, 7, 20))
    session.add(leaver)
    session.flush()
    session.add(TrainingRecord(school_id=world.school.id, staff_id=leaver.id,
                               course_id=course.id, completed_on=dt.date(2017, 9, 4)))
    session.flush()
    as_role("dsl")
    due = f"/schools/{world.school.id}/retention"
    body = client.get(due).get_data(as_text=True)
    assert "Staff records due (1)" in body and "Lee Long" in body
    assert "due since 20 July 2024" in body
    resp = _post(client, DESTROY.format(world.school.id), record_type="training.records",
                 subject=f"staff:{leaver.id}", destroy_reason="Left in 2018", confirm="yes")
    assert resp.status_code == 302 and resp.location.endswith(due + "#staff-h")
    assert session.scalar(select(func.count()).select_from(TrainingRecord).where(
        TrainingRecord.staff_id == leaver.id)) == 0
    tomb = session.scalars(select(Destruction).where(Destruction.rule == "training.records")).one()
    assert tomb.pupil_id is None and tomb.summary["name"] == "Lee Long"
    assert "Staff records due (0)" in client.get(due).get_data(as_text=True)


def test_only_the_dsl_may_destroy_and_others_get_404(client, as_role, world, session):
    _old_weeks(session, world)
    form = dict(record_type="attendance.registers", subject=f"pupil:{world.pupil.id}",
                destroy_reason="Three years", confirm="yes")
    for role in ("deputy_dsl", "headteacher", "staff"):
        as_role(role)
        assert _post(client, DESTROY.format(world.school.id), **form).status_code == 404
    as_role("dsl", school=world.other)
    assert _post(client, DESTROY.format(world.school.id), **form).status_code == 404
    assert session.scalar(select(func.count()).select_from(AttendanceWeek).where(
        AttendanceWeek.pupil_id == world.pupil.id)) == 2


def test_the_trust_periods_and_the_subject_access_page_include_the_plugins(
        client, as_role, world, session):
    _old_weeks(session, world)
    as_role("trust_lead")
    due = client.get(f"/schools/{world.school.id}/retention").get_data(as_text=True)
    for label in ("Attendance registers (years)", "Police notifications (Operation Encompass) "
                  "(years)", "Transfer files (years)", "Staff training records (years)"):
        assert label in due
    resp = _post(client, f"/schools/{world.school.id}/retention/rules",
                 **{"attendance.registers": "2"})
    assert resp.status_code == 422 and "between 3 and 120" in resp.get_data(as_text=True)
    as_role("dsl")
    body = client.get(f"/schools/{world.school.id}/pupils/{world.pupil.id}/subject-access"
                      ).get_data(as_text=True)
    assert "<legend>Attendance registers</legend>" in body
    assert f'value="attendance:year:{world.pupil.id}-2021"' in body
