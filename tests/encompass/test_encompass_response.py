"""The response: steps and statuses, append-only records, the chronology, the overdue job,
the trust figures, the transfer file, and nothing at all where the plugin is off."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.calendar import LONDON
from core.chronology import pupil_chronology
from core.errors import AppendOnlyViolation, NotFound, ValidationError
from core.models import Alert, JobRun, MailMessage
from core.plugins import current_host
from plugins.encompass import figures, jobs, service
from plugins.encompass.models import EncompassNotification, EncompassStep
from plugins.encompass.response import add_step, status_of, steps_of

SUNDAY_NIGHT = dt.datetime(2026, 10, 4, 22, 0, tzinfo=LONDON)
MONDAY_REG = dt.datetime(2026, 10, 5, 8, 45, tzinfo=LONDON)


@pytest.fixture
def case(session, make_school, make_pupil, make_user, make_key_adult, payload):
    school = make_school()
    amelia = make_pupil(school, first_name="Amelia", last_name="Smith",
                        date_of_birth=dt.date(2016, 4, 7))
    dsl_user, dsl = make_user("dsl", school=school)
    ka_user, ka = make_key_adult(school)
    n = service.log_notification(session, ka, school.id, payload(
        received_at=SUNDAY_NIGHT.isoformat(), summary="Police called to the home.",
        child_words="Daddy was shouting.")).notification
    return dict(school=school, amelia=amelia, dsl=dsl, dsl_user=dsl_user, ka=ka, n=n)


def test_received_on_sunday_night_is_due_at_monday_registration(case):
    assert case["n"].due_at == MONDAY_REG


def test_statuses_follow_the_steps(session, case):
    n, sid, ka, dsl = case["n"], case["school"].id, case["ka"], case["dsl"]
    assert status_of(n, steps_of(session, n.id), MONDAY_REG - dt.timedelta(minutes=1)) == "new"
    assert status_of(n, steps_of(session, n.id), MONDAY_REG + dt.timedelta(minutes=1)) == "overdue"
    add_step(session, ka, sid, n.id, "acknowledged", at=MONDAY_REG - dt.timedelta(minutes=30))
    assert status_of(n, steps_of(session, n.id)) == "awaiting_key_adult"
    add_step(session, ka, sid, n.id, "support", support=["check_in", "trusted_adult"],
             pupil_id=case["amelia"].id)
    assert status_of(n, steps_of(session, n.id)) == "awaiting_review"
    add_step(session, ka, sid, n.id, "follow_up", body="Seemed brighter on Wednesday.")
    with pytest.raises(NotFound):  # only the DSL team review and close
        add_step(session, ka, sid, n.id, "closed", body="done")
    add_step(session, dsl, sid, n.id, "dsl_review", body="Support working.")
    add_step(session, dsl, sid, n.id, "closed", body="No further concerns.")
    assert status_of(n, steps_of(session, n.id)) == "closed"
    with pytest.raises(ValidationError) as bad:
        add_step(session, ka, sid, n.id, "follow_up", body="more")
    assert "kind" in bad.value.errors
    add_step(session, dsl, sid, n.id, "reopened", body="A second incident reported.")
    assert status_of(n, steps_of(session, n.id)) == "awaiting_review"


@pytest.mark.parametrize("kind,kw,field", [
    ("support", {}, "support"),
    ("support", {"support": ["hug"]}, "support"),
    ("support", {"support": ["other"]}, "body"),
    ("follow_up", {}, "body"),
    ("acknowledged", {"support": ["check_in"]}, "support"),
    ("acknowledged", {"pupil_id": 999999}, "pupil_id"),
    ("reopened", {"body": "x"}, "kind"),
    ("made_up", {}, "kind"),
])
def test_bad_steps_name_the_field(session, case, kind, kw, field):
    with pytest.raises(ValidationError) as bad:
        add_step(session, case["dsl"], case["school"].id, case["n"].id, kind, **kw)
    assert field in bad.value.errors


def test_acknowledging_twice_is_refused(session, case):
    add_step(session, case["ka"], case["school"].id, case["n"].id, "acknowledged")
    with pytest.raises(ValidationError):
        add_step(session, case["ka"], case["school"].id, case["n"].id, "acknowledged")


def test_steps_and_notifications_are_append_only(session, case):
    step = add_step(session, case["ka"], case["school"].id, case["n"].id, "acknowledged")
    with pytest.raises(AppendOnlyViolation):
        with session.begin_nested():
            step.body = "edited"
            session.flush()
    n = session.get(EncompassNotification, case["n"].id)
    with pytest.raises(AppendOnlyViolation):
        with session.begin_nested():
            n.summary = "rewritten"
            session.flush()
    with pytest.raises(AppendOnlyViolation):
        with session.begin_nested():
            session.delete(step)
            session.flush()


def test_each_step_is_in_the_pupils_chronology_without_the_police_detail(session, case):
    sid, n = case["school"].id, case["n"]
    add_step(session, case["ka"], sid, n.id, "acknowledged")
    add_step(session, case["ka"], sid, n.id, "support", support=["quiet_space"], body="Fine.")
    items = pupil_chronology(session, case["dsl"], sid, case["amelia"].id)
    mine = [i for i in items if i.plugin == "encompass"]
    assert sorted(i.kind for i in mine) == ["encompass:acknowledged", "encompass:received",
                                            "encompass:support"]
    support = next(i for i in mine if i.kind == "encompass:support")
    assert support.detail == "A quiet space offered. Fine."
    assert all("shouting" not in i.detail and "Police called" not in i.detail for i in mine)
    assert all(i.link == f"/schools/{sid}/encompass/{n.id}" for i in mine)


def test_overdue_job_alerts_the_dsl_once(session, db, case, make_user):
    sid, n = case["school"].id, case["n"]
    deputy_user, _ = make_user("deputy_dsl", school=case["school"])
    assert figures.check_overdue(session, sid, MONDAY_REG - dt.timedelta(minutes=5)) == 0
    assert figures.check_overdue(session, sid, MONDAY_REG + dt.timedelta(minutes=5)) == 1
    assert figures.check_overdue(session, sid, MONDAY_REG + dt.timedelta(hours=2)) == 0
    [alert] = session.scalars(select(Alert).where(Alert.kind == "encompass_overdue")).all()
    assert alert.school_id == sid and alert.resolved_at is None
    to = session.scalars(select(MailMessage.to).where(
        MailMessage.dedupe_key.like(f"encompass:overdue:{n.id}:%"))).all()
    assert sorted(to) == sorted([case["dsl_user"].email, deputy_user.email])  # not key adults
    add_step(session, case["ka"], sid, n.id, "acknowledged")
    assert alert.resolved_at is not None


def test_the_recurring_job_runs_for_the_school_and_skips_it_when_off(session, db, case):
    session.commit()  # the job runs in its own transaction
    result = jobs.check_overdue(case["school"].id)
    assert result == {"alerts_raised": 1}  # the Sunday notification is long overdue now
    assert jobs.check_overdue(case["school"].id) == {"alerts_raised": 0}
    from core.jobs import enqueue

    current_host().set_enabled(session, case["school"].id, "encompass", False)
    session.commit()
    job_id = enqueue(jobs.check_overdue, case["school"].id, school_id=case["school"].id,
                     plugin="encompass")
    assert session.get(JobRun, job_id).status == "skipped"


def test_trust_metrics_worked_by_hand(session, case, make_pupil, payload):
    sid, ka, dsl = case["school"].id, case["ka"], case["dsl"]
    for i in range(3):  # four pupils on roll in all
        make_pupil(case["school"], first_name=f"Other{i}", last_name="Jones")
    # notification 1 (Sunday night, due Monday 08:45): acknowledged Monday 07:45 -> 9.75 h
    add_step(session, ka, sid, case["n"].id, "acknowledged",
             at=dt.datetime(2026, 10, 5, 7, 45, tzinfo=LONDON))
    # notification 2: received Monday 10:00, due Tuesday 08:45, acknowledged Tuesday 10:00
    n2 = service.log_notification(session, dsl, sid, payload(
        police_reference="DA/2", received_at="2026-10-05T10:00:00+01:00")).notification
    add_step(session, ka, sid, n2.id, "acknowledged",
             at=dt.datetime(2026, 10, 6, 10, 0, tzinfo=LONDON))  # 24 h, late
    # notification 3: an unmatched child, received Tuesday 12:00, never acknowledged
    service.log_notification(session, dsl, sid, payload(
        police_reference="DA/3", received_at="2026-10-06T12:00:00+01:00",
        children=[{"first_name": "Nobody", "last_name": "Known"}]))
    metrics = {m.key: m.value for m in figures.school_metrics(
        session, sid, dt.date(2026, 9, 2), dt.date(2026, 12, 18),
        now=dt.datetime(2026, 10, 9, 12, 0, tzinfo=LONDON))}
    assert metrics == {"per_100": 75.0,          # 3 notifications / 4 pupils
                       "on_time_pct": 33.3,      # 1 on time of 3 judged
                       "median_ack_hours": 16.9,  # median of 9.75 and 24 = 16.875
                       "unmatched": 1}


def test_transfer_section_summarises_the_childs_notifications(session, case):
    add_step(session, case["ka"], case["school"].id, case["n"].id, "support",
             support=["check_in"])
    sections = current_host().call_for_school(session, case["school"].id,
                                              "mat_transfer_sections",
                                              pupil_id=case["amelia"].id)
    [mine] = [s for s in sections if s.plugin == "encompass"]
    [row] = mine.data["notifications"]
    assert (row["incident_date"], row["force"], row["police_reference"]) == \
        ("2026-10-03", "Northshire Police", "DA/2026/0001")
    assert row["support"] == ["A check-in with the child"] and row["acknowledged_at"] is None


def test_nothing_is_contributed_where_the_plugin_is_off(session, case):
    host = current_host()
    sid, pid = case["school"].id, case["amelia"].id
    host.set_enabled(session, sid, "encompass", False)
    assert not [i for i in host.call_for_school(session, sid, "mat_chronology_entries",
                                                pupil_id=pid, start=None, end=None)
                if i.plugin == "encompass"]
    assert not [m for m in host.call_for_school(session, sid, "mat_trust_metrics",
                                                start=dt.date(2026, 9, 1),
                                                end=dt.date(2026, 12, 31))
                if m.plugin == "encompass"]
    assert not [s for s in host.call_for_school(session, sid, "mat_transfer_sections",
                                                pupil_id=pid) if s.plugin == "encompass"]
    assert not [n for n in host.call_for_school(session, sid, "mat_nav_links", actor=case["dsl"])
                if n.plugin == "encompass"]
    # the data is kept
    assert session.get(EncompassNotification, case["n"].id) is not None
