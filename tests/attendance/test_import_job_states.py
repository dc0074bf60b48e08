"""An import's batch follows its job: saved and waiting while the job queue is down (the API
and page say so), failed with the reason when its worker died on the last attempt, and the
CLI's --no-wait leaves it to the worker."""
from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from core import jobqueue
from core import jobs as core_jobs
from core.db import utcnow
from core.models import JobRun
from plugins.attendance import jobs, service
from plugins.attendance.cli import attendance
from plugins.attendance.models import ImportBatch
from tests.attendance.conftest import weekdays

DOWN = "redis://127.0.0.1:1/0"  # nothing listens there: the queue is down
CSRF = "test-csrf-token"


@pytest.fixture
def queue_down():
    """The job queue unreachable (after any app was made: the app configures jobs too)."""
    core_jobs.configure(DOWN, "mat-test-down")
    yield
    core_jobs.configure(None)


def _file(tmp_path, upn):
    path = tmp_path / "m.csv"
    path.write_text("UPN,Date,Session,Mark\n" + "".join(
        f"{upn},{d.isoformat()},{s},/\n" for d in weekdays(dt.date(2025, 9, 8), 3)
        for s in ("AM", "PM")))
    return path


def test_worker_dying_on_the_last_attempt_fails_the_batch_with_the_reason(
        queue_down, session, make_school, make_pupil, upn, tmp_path):
    school = make_school()
    p = make_pupil(school, upn=upn())
    batch = service.create_batch(session, None, school.id, "csv", str(_file(tmp_path, p.upn)),
                                 "m.csv")
    job_id = jobs.queue_import(session, batch, None, delete_after=False)
    session.commit()
    run = session.get(JobRun, job_id)
    session.refresh(run)
    assert (run.status, run.dispatched_at) == ("queued", None)  # saved, waiting for Redis
    state, note = jobs.import_state(batch)
    assert state == "waiting for the queue" and "saved" in note
    run.status, run.attempts, run.worker = "running", run.max_attempts, "rq:gone:1"
    run.started_at = run.heartbeat_at = utcnow() - dt.timedelta(minutes=10)
    batch.status = "running"
    session.commit()
    assert jobqueue.reconcile()["failed"] == 1
    session.refresh(batch)
    session.refresh(run)
    assert run.status == "failed" and jobqueue.WORKER_STOPPED in run.error.lower()
    assert batch.status == "failed" and batch.marks_imported == 0
    assert jobqueue.WORKER_STOPPED in batch.errors[0]["problem"].lower()


def test_api_upload_while_the_queue_is_down_says_it_is_saved(
        client, queue_down, login_as, session, make_school, make_pupil, upn, tmp_path):
    import io

    school = make_school()
    p = make_pupil(school, upn=upn())
    login_as("dsl", school=school)
    body = _file(tmp_path, p.upn).read_bytes()
    r = client.post(f"/api/v1/schools/{school.id}/attendance/imports",
                    data={"source": "csv", "layout": '{"format": "long"}',
                          "file": (io.BytesIO(body), "m.csv")},
                    headers={"X-CSRF-Token": CSRF}, content_type="multipart/form-data")
    assert r.status_code == 201, r.get_data(as_text=True)
    answer = r.get_json()
    assert answer["status"] == "queued" and answer["job_state"] == "waiting for the queue"
    assert "start when the job queue is reachable" in answer["note"]
    run = session.get(JobRun, answer["job_id"])
    assert run is not None and run.dispatched_at is None  # the outbox holds it
    assert session.get(ImportBatch, answer["id"]).job_id == answer["job_id"]


def test_cli_no_wait_queues_and_returns(queue_down, session, make_school, make_pupil, upn,
                                        tmp_path):
    school = make_school()
    p = make_pupil(school, upn=upn())
    r = CliRunner().invoke(attendance, ["import", str(school.id), str(_file(tmp_path, p.upn)),
                                        "--no-wait"])
    assert r.exit_code == 0, r.output
    assert "queued as job" in r.output
    job_id = r.output.split("queued as job ")[1].split(";")[0]
    assert session.get(JobRun, job_id).status == "queued"


def test_an_admin_retry_of_a_stopped_import_imports_it_or_says_the_file_is_gone(
        session, make_school, make_pupil, upn, tmp_path):
    from core import jobqueue

    school = make_school()
    p = make_pupil(school, upn=upn())
    batches = []
    for name in ("kept.csv", "gone.csv"):
        path = _file(tmp_path, p.upn).rename(tmp_path / name)
        batch = service.create_batch(session, None, school.id, "csv", str(path), name)
        core_jobs.configure(DOWN, "mat-test-down")  # recorded, not run
        job_id = jobs.queue_import(session, batch, None, delete_after=False)
        session.commit()
        core_jobs.configure(None)
        run = session.get(JobRun, job_id)
        run.status, run.attempts, run.worker = "running", run.max_attempts, "rq:gone:1"
        run.started_at = run.heartbeat_at = utcnow() - dt.timedelta(minutes=10)
        session.commit()
        batches.append((batch, job_id, path))
    assert jobqueue.reconcile()["failed"] == 2  # both stopped for good
    (kept, kept_job, _), (gone, gone_job, gone_path) = batches
    gone_path.unlink()
    for batch, job_id, _ in batches:
        session.refresh(batch)
        assert batch.status == "failed"
        _, retried = jobqueue.retry(job_id)
        assert retried
    session.refresh(kept)
    session.refresh(gone)
    assert (kept.status, kept.marks_imported, kept.error_count) == ("done", 6, 0)
    assert core_jobs.job_status(kept_job).status == "done"
    gone_run = core_jobs.job_status(gone_job)
    assert gone.status == "failed" and gone_run.status == "failed"
    assert "import it again" in gone_run.error
