"""Admin → Jobs: every state of a job in its section (needs attention, waiting and running,
recently finished) with the recurring schedule; who sees which jobs (their schools; jobs with
no school only for trust admins); Retry through core.jobqueue, audited, 404 outside one's
schools. The page shows what a job is, never its arguments or results."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select
from tests.web.conftest import CSRF_VALUE

from core import jobs
from core.db import system_scope, utcnow
from core.models import AuditEntry, JobRun
from core.scheduler import recurring_jobs

HOUR = dt.timedelta(hours=1)
TRACE = "Traceback (most recent call last):\n" + "".join(
    f"  trace line {i:02d}\n" for i in range(1, 31)) + "RuntimeError: SIMS export missing"
MODULE = __name__  # job functions are found by module path, as steady_job's is
SECRET_ARG, SECRET_RESULT = "ARG-ONLY-IN-THE-ROW", "RESULT-ONLY-IN-THE-ROW"


def steady_job(school_id: int) -> dict:
    """What the retried jobs run: succeeds."""
    return {"school": school_id}


FAILS = {"count": 0}


def flaky_job(school_id: int) -> dict:
    """Fails the first time (a missing export), succeeds after."""
    FAILS["count"] += 1
    if FAILS["count"] == 1:
        raise RuntimeError("SIMS export missing")
    return {"school": school_id}


# the installed plugins (not only tests/web's throwaway one): the schedule lists their jobs
from tests.conftest import host  # noqa: E402,F401  (the root fixture, overriding tests/web's)


@pytest.fixture
def redis_down(client):
    """Jobs go to a Redis nobody answers at (the app factory configured none: after it)."""
    jobs.configure("redis://127.0.0.1:1/0")
    yield
    jobs.configure(None)


@pytest.fixture
def add_job(session):
    def _add(job_id: str, name: str, school, status: str, **kw):
        values = dict(id=job_id, func=f"{MODULE}:{name}",
                      school_id=school.id if school is not None else None, status=status,
                      attempts=1, max_attempts=4, enqueued_at=utcnow() - 2 * HOUR,
                      args={"args": [SECRET_ARG], "kwargs": {}})
        values.update(kw)
        run = JobRun(**values)
        session.add(run)
        session.flush()
        return run
    return _add


def _post(client, url):
    return client.post(url, data={"csrf_token": CSRF_VALUE})


def sections(body: str) -> dict[str, str]:
    """The page cut at its four section headings."""
    body = body.replace("&nbsp;", " ")
    keys = ["attention", "waiting", "recurring", "finished"]
    starts = [body.index(f'id="{k}-h"') for k in keys]
    return {k: body[a:b] for k, a, b in zip(keys, starts, starts[1:] + [len(body)])}


def row(section: str, label: str) -> str:
    """The table row naming ``label`` (fails when there is none)."""
    rows = [r for r in re.findall(r"<tr>.*?</tr>", section, re.S) if f"<td>{label}</td>" in r]
    assert len(rows) == 1, f"{label!r}: {len(rows)} rows"
    return rows[0]


def test_each_state_shows_in_its_section(client, as_role, world, add_job, redis_down):
    now = utcnow()
    add_job("j-failed", "register_upload", world.school, "failed", attempts=4, error=TRACE,
            finished_at=now - HOUR, result={"x": SECRET_RESULT})
    add_job("j-stuck", "nightly_sweep", world.school, "running", worker="rq:elsewhere:4242",
            started_at=now - 2 * HOUR, heartbeat_at=now - HOUR, dispatched_at=now - 2 * HOUR)
    add_job("j-waiting", "send_letters", world.school, "queued", attempts=0)
    add_job("j-retrying", "check_deadlines", world.school, "queued", attempts=2,
            error="Traceback\nValueError: the register is not ready", run_after=now + HOUR)
    add_job("j-queued", "count_marks", world.school, "queued", attempts=0,
            dispatched_at=now - HOUR)
    add_job("j-running", "build_summary", world.school, "running", attempts=2,
            worker="rq:here:1", started_at=now, heartbeat_at=now, progress_done=30,
            progress_total=120, dispatched_at=now)
    add_job("j-done", "tidy_outbox", world.school, "done", finished_at=now,
            result={"x": SECRET_RESULT})
    add_job("j-skipped", "plugin_sweep", world.school, "skipped", finished_at=now)
    add_job("j-other", "other_school_task", world.other, "failed", error="Boom",
            finished_at=now)
    add_job("j-mail", "send_pending", None, "failed", func="core.mail:send_pending",
            error="OSError: SMTP refused", finished_at=now)
    as_role("school_admin")
    body = client.get("/admin/jobs").get_data(as_text=True)
    page = sections(body)

    failed = row(page["attention"], "Register upload")
    assert ">failed<" in failed and "4 of 4" in failed and "Northfield Primary" in failed
    assert "<summary>RuntimeError: SIMS export missing</summary>" in failed
    assert "trace line 30" in failed and "trace line 12" in failed  # the last 20 lines
    assert "trace line 11" not in failed and "Traceback" not in failed
    assert 'action="/admin/jobs/j-failed/retry"' in failed and "csrf_token" in failed
    stuck = row(page["attention"], "Nightly sweep")
    assert ">stuck<" in stuck and 'action="/admin/jobs/j-stuck/retry"' in stuck

    assert ">waiting for the queue<" in row(page["waiting"], "Send letters")
    retrying = row(page["waiting"], "Check deadlines")
    assert ">retrying<" in retrying and "2 of 4" in retrying
    assert "ValueError: the register is not ready" in retrying
    assert ">queued<" in row(page["waiting"], "Count marks")
    running = row(page["waiting"], "Build summary")
    assert ">running<" in running and "25%" in running and "2 of 4" in running
    assert "retry" not in page["waiting"].lower().replace("retrying", "")

    assert ">done<" in row(page["finished"], "Tidy outbox")
    assert ">skipped<" in row(page["finished"], "Plugin sweep")
    assert "Recently finished <span class=\"hint\">(2)" in body
    assert "Needs attention <span class=\"hint\">(2)" in body

    assert "The job queue (Redis) cannot be reached: 1 job is saved" in body
    # another school's and the trust-wide jobs are not a school admin's; no data of a job
    for absent in ("Other school task", "Trust-wide", "SMTP refused", SECRET_ARG,
                   SECRET_RESULT, f"{MODULE}:"):
        assert absent not in body


def test_no_queue_banner_when_nothing_waits_for_redis(client, as_role, world, add_job):
    add_job("j-queued", "count_marks", world.school, "queued", attempts=0)
    as_role("school_admin")
    body = client.get("/admin/jobs").get_data(as_text=True)
    assert ">queued<" in row(sections(body)["waiting"], "Count marks")  # inline: not waiting
    assert "cannot be reached" not in body


def test_a_trust_wide_job_shows_to_a_trust_admin_only(client, as_role, world, add_job,
                                                      session):
    now = utcnow()
    add_job("j-mail", "send_pending", None, "failed", func="core.mail:send_pending",
            error="OSError: SMTP refused", finished_at=now)
    add_job("j-other", "other_school_task", world.other, "failed", error="Boom",
            finished_at=now)
    as_role("school_admin")
    body = client.get("/admin/jobs").get_data(as_text=True)
    assert "Trust-wide" not in body and "SMTP refused" not in body
    assert _post(client, "/admin/jobs/j-mail/retry").status_code == 404

    as_role("trust_admin")
    page = sections(client.get("/admin/jobs").get_data(as_text=True))
    mail = row(page["attention"], "Mail")
    assert "Trust-wide" in mail and "OSError: SMTP refused" in mail and ">failed<" in mail
    assert "Riverside Secondary" in row(page["attention"], "Other school task")


def test_the_admin_of_another_school_sees_none_and_cannot_retry(client, as_role, world,
                                                                add_job, session):
    now = utcnow()
    add_job("j-failed", "register_upload", world.school, "failed", error=TRACE,
            finished_at=now)
    add_job("j-stuck", "nightly_sweep", world.school, "running", worker="rq:elsewhere:4242",
            started_at=now - 2 * HOUR, heartbeat_at=now - HOUR)
    as_role("school_admin", school=world.other)
    body = client.get("/admin/jobs").get_data(as_text=True)
    assert "Register upload" not in body and "Nightly sweep" not in body
    assert "SIMS export missing" not in body
    for job_id in ("j-failed", "j-stuck", "no-such-job"):
        assert _post(client, f"/admin/jobs/{job_id}/retry").status_code == 404
    with system_scope(session, "after the requests"):
        session.expire_all()
        assert session.get(JobRun, "j-failed").status == "failed"
        assert session.get(JobRun, "j-stuck").status == "running"
    as_role("staff")
    assert client.get("/admin/jobs").status_code == 404
    assert _post(client, "/admin/jobs/j-failed/retry").status_code == 404


def test_retry_runs_a_failed_or_stuck_job_inline_and_it_shows_done(client, as_role, world,
                                                                   add_job, session):
    now = utcnow()
    add_job("j-failed", "steady_job", world.school, "failed", attempts=4, error=TRACE,
            finished_at=now - HOUR, args={"args": [world.school.id], "kwargs": {}})
    add_job("j-stuck", "steady_job", world.school, "running", worker="rq:elsewhere:4242",
            started_at=now - 2 * HOUR, heartbeat_at=now - HOUR,
            args={"args": [world.school.id], "kwargs": {}})
    as_role("school_admin")
    resp = _post(client, "/admin/jobs/j-failed/retry")
    assert resp.status_code == 302 and resp.location.endswith("/admin/jobs")
    body = client.get("/admin/jobs").get_data(as_text=True)
    assert "Steady job retried: now done." in body
    with system_scope(session, "after the requests"):
        session.expire_all()
        run = session.get(JobRun, "j-failed")
        assert (run.status, run.result, run.error) == ("done", {"school": world.school.id},
                                                        None)
        audit = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "job.retried", AuditEntry.object_id == "j-failed")).one()
        assert audit.school_id == world.school.id
    page = sections(body)
    assert ">done<" in row(page["finished"], "Steady job")
    assert 'action="/admin/jobs/j-failed/retry"' not in body

    _post(client, "/admin/jobs/j-stuck/retry")
    body = client.get("/admin/jobs").get_data(as_text=True)
    assert "Steady job retried: now done." in body
    assert "Nothing failed or stuck." in body

    _post(client, "/admin/jobs/j-failed/retry")
    assert "That job is done: nothing to retry." in client.get("/admin/jobs").get_data(
        as_text=True)


def test_the_schedule_lists_every_recurring_job(app, client, as_role, world, add_job,
                                                host):
    from web.views.admin.jobs import cron_words, recurring_label

    now = utcnow()

    expected = recurring_jobs()
    assert expected, "the installed plugins have recurring jobs"
    first = f"{expected[0].plugin}:{expected[0].name}"
    add_job("r-mine", "nightly", world.school, "done", recurring=first, enqueued_at=now,
            finished_at=now)
    add_job("r-other", "nightly", world.other, "failed", recurring=first, enqueued_at=now,
            finished_at=now, error="Boom")
    as_role("school_admin")
    section = sections(client.get("/admin/jobs").get_data(as_text=True))["recurring"]
    with app.app_context():
        labels = [recurring_label(f"{j.plugin}:{j.name}") for j in expected]
    assert len(re.findall(r"<tr>", section)) == len(expected) + 1  # and the heading row
    for job, label in zip(expected, labels):
        cells = row(section, label)
        assert f"<td>{cron_words(job.cron)}</td>" in cells and "(UK time)" in cells
    # the outcome counts this admin's school only
    assert "1 done" in row(section, labels[0]) and "failed" not in row(section, labels[0])
    assert all("never" in row(section, label) for label in labels[1:])


def test_a_job_that_failed_when_queued_is_retried_under_its_id(client, as_role, world,
                                                               session):
    """Through the real machinery: enqueued inline, failed, shown, retried, done."""
    FAILS["count"] = 0
    job_id = jobs.enqueue(flaky_job, world.school.id, school_id=world.school.id)
    session.expire_all()
    assert session.get(JobRun, job_id).status == "failed"
    as_role("school_admin")
    failed = row(sections(client.get("/admin/jobs").get_data(as_text=True))["attention"],
                 "Flaky job")
    assert "RuntimeError: SIMS export missing" in failed and "Northfield Primary" in failed
    assert _post(client, f"/admin/jobs/{job_id}/retry").status_code == 302
    with system_scope(session, "after the requests"):
        session.expire_all()
        run = session.get(JobRun, job_id)
        assert (run.status, run.result) == ("done", {"school": world.school.id})
        assert run.attempts == 2  # attempt numbers keep counting across a retry
    body = client.get("/admin/jobs").get_data(as_text=True)
    assert "Flaky job retried: now done." in body
    assert ">done<" in row(sections(body)["finished"], "Flaky job")


def test_crons_and_jobs_are_named_as_people_read_them(app):
    from web.views.admin.jobs import cron_words, job_label

    assert cron_words("30 1 * * *") == "daily at 01:30 (UK time)"
    assert cron_words("*/15 * * * *") == "every 15 minutes (UK time)"
    assert cron_words("0 7 * * 1-5") == "weekdays at 07:00 (UK time)"
    assert cron_words("0 9 1 * *") == "0 9 1 * * (UK time)"  # not one it knows: as it is
    assert cron_words("every 30 s") == "every 30 s"  # the tests' interval, not a cron
    with app.app_context():
        def label(func, plugin=None, recurring=None):
            return job_label(JobRun(func=func, plugin=plugin, recurring=recurring))

        assert label("plugins.attendance.jobs:import_batch", "attendance") == \
            "Attendance import"
        assert label("core.mail:send_pending") == "Mail"
        assert label("plugins.attendance.jobs:nightly_analysis", "attendance",
                     "attendance:nightly_analysis") == "Attendance: nightly analysis"
        assert label("plugins.encompass.jobs:check_overdue", "encompass",
                     "encompass:encompass-overdue") == "Operation Encompass: overdue"
        assert label("plugins.gone.jobs:tidy_up", "gone") == "Gone: tidy up"
        assert label("core.backup:make_backup") == "Make backup"
