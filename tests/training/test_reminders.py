"""Reminders to the person and the school's DSL: one per expiry, however often the job runs;
a renewal that later falls due again reminds again."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.models import JobRun, MailMessage
from plugins.training import jobs
from plugins.training.service import queue_reminders

from .training_constants import TODAY

D = dt.date


def _outbox(session):
    return [(m.to, m.subject) for m in session.scalars(
        select(MailMessage).where(MailMessage.dedupe_key.like("training:%"))
        .order_by(MailMessage.id))]


def test_reminders_go_once_per_expiry(session, make_school, make_person, make_user, courses,
                                      add_done):
    school = make_school()
    c = courses(school.trust_id)
    make_user("dsl", school=school, email="dsl@school.example")
    make_user("staff", school=school, email="someone@school.example")  # not a DSL: no copy
    due = make_person(school, "midday_supervisor", name="Dee Due", email="dee@example.org")
    quiet = make_person(school, "volunteer", name="Val Unlisted")   # no email
    fine = make_person(school, "midday_supervisor", name="Fay Fine", email="fay@example.org")
    for p in (due, quiet, fine):
        add_done(p, c["induction"], D(2019, 9, 1))
    add_done(due, c["annual_update"], D(2025, 12, 1))    # due 1 Dec 2026
    add_done(quiet, c["annual_update"], D(2025, 10, 1))  # expired after 1 Oct 2026
    add_done(fine, c["annual_update"], D(2026, 9, 1))
    first = queue_reminders(session, school.id, TODAY)
    assert first["queued"] == 3
    assert _outbox(session) == [
        ("dee@example.org", "Your Annual safeguarding update is due by 01 December 2026"),
        ("dsl@school.example",
         "Training: Dee Due's Annual safeguarding update is due by 01 December 2026"),
        ("dsl@school.example",
         "Training: Val Unlisted's Annual safeguarding update expired after 01 October 2026"),
    ]
    # the next days add nothing, even once Dee's has expired too
    assert queue_reminders(session, school.id, TODAY)["queued"] == 0
    assert queue_reminders(session, school.id, D(2026, 12, 5))["queued"] == 0
    # Dee renews; a year later she is due again (to her and the DSL), and Fay's update has
    # expired (to her and the DSL); Val's old expiry was already reminded
    add_done(due, c["annual_update"], D(2026, 12, 3), today=D(2026, 12, 5))
    assert queue_reminders(session, school.id, D(2027, 11, 20))["queued"] == 4
    assert _outbox(session)[3:] == [
        ("dee@example.org", "Your Annual safeguarding update is due by 03 December 2027"),
        ("dsl@school.example",
         "Training: Dee Due's Annual safeguarding update is due by 03 December 2027"),
        ("fay@example.org", "Your Annual safeguarding update expired after 01 September 2027"),
        ("dsl@school.example",
         "Training: Fay Fine's Annual safeguarding update expired after 01 September 2027"),
    ]


def test_the_job_is_idempotent_and_skips_a_school_with_the_plugin_off(
        session, make_school, make_person, make_user, courses, add_done):
    on = make_school()
    off = make_school(trust=on.trust, plugins=[])
    c = courses(on.trust_id)
    for school in (on, off):
        make_user("dsl", school=school)
        p = make_person(school, "governor", email=f"gov{school.id}@example.org")
        add_done(p, c["annual_update"], D(2025, 12, 1))
    session.flush()
    assert jobs.send_reminders(on.id, TODAY.isoformat())["queued"] == 2
    assert jobs.send_reminders(on.id, TODAY.isoformat())["queued"] == 0
    from core.jobs import enqueue

    job_id = enqueue(jobs.send_reminders, off.id, TODAY.isoformat(), school_id=off.id,
                     plugin="training")
    assert session.get(JobRun, job_id).status == "skipped"
    assert not [m for m in _outbox(session) if f"gov{off.id}@" in m[0]]
