"""The Redis path: jobs go to a real Redis and a real ``rq worker`` process runs them."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.registry import FailedJobRegistry

from core import jobqueue, jobs
from core.db import SYSTEM, use_database, utcnow
from core.schools import create_trust

REDIS_URL = os.environ.get("MAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
HERE = Path(__file__).parent
pytestmark = pytest.mark.redis


@pytest.fixture
def queue_env(database_factory, backend):
    """A committed database, a private queue name, and a way to run a burst worker."""
    url, db = database_factory.create(backend)
    use_database(db)
    queue = f"mat-test-{uuid.uuid4().hex[:8]}"
    jobs.configure(REDIS_URL, queue)
    conn = Redis.from_url(REDIS_URL)
    conn.ping()  # a missing Redis is a failure, not a skip

    def work():
        env = dict(os.environ, MAT_DATABASE_URL=url, MAT_REDIS_URL=REDIS_URL, MAT_QUEUE=queue,
                   MAT_JOB_BACKOFF_SECONDS="0,0,0",
                   PYTHONPATH=os.pathsep.join([str(HERE.parents[1]),
                                               os.environ.get("PYTHONPATH", "")]))
        done = subprocess.run([sys.executable, "-m", "rq.cli", "worker", "--burst", "--url",
                               REDIS_URL, queue], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return done

    with db.transaction(SYSTEM) as s:
        trust_id = create_trust(s, f"Worker trust {queue}").id
    yield db, queue, conn, work, trust_id
    jobs.configure(None)
    Queue(queue, connection=conn).empty()
    FailedJobRegistry(queue, connection=conn).cleanup()


def test_job_runs_in_a_real_worker(queue_env):
    from tests.core import worker_jobs

    db, queue, conn, work, trust_id = queue_env
    job_id = jobs.enqueue(worker_jobs.count_up, trust_id)
    assert jobs.job_status(job_id).status == "queued"  # not run inline
    assert len(Queue(queue, connection=conn)) == 1
    work()
    run = jobs.job_status(job_id)
    assert (run.status, run.result, run.progress_done, run.message) == ("done", {"ok": True}, 1,
                                                                         "counted")
    assert worker_jobs.runs(trust_id, "worker_test") == {"runs": 1}


def test_same_job_id_is_enqueued_once_while_pending(queue_env):
    from tests.core import worker_jobs

    db, queue, conn, work, trust_id = queue_env
    a = jobs.enqueue(worker_jobs.count_up, trust_id, job_id="nightly:1")
    b = jobs.enqueue(worker_jobs.count_up, trust_id, job_id="nightly:1")
    assert a == b and len(Queue(queue, connection=conn)) == 1
    work()
    assert worker_jobs.runs(trust_id, "worker_test") == {"runs": 1}


def _work_until_finished(work, job_id, rounds=6):
    """What ``mat scheduler`` does between bursts: hand due retries back to the queue."""
    for _ in range(rounds):
        work()
        if jobs.job_status(job_id).status in jobs.FINISHED:
            return jobs.job_status(job_id)
        jobqueue.dispatch_pending()
    return jobs.job_status(job_id)


def test_failed_job_is_retried_then_succeeds(queue_env):
    from tests.core import worker_jobs

    db, queue, conn, work, trust_id = queue_env
    job_id = jobs.enqueue(worker_jobs.fail_until, trust_id, 3)
    work()
    between = jobs.job_status(job_id)  # the first failure waits for its retry in the database
    assert (between.status, between.attempts, between.dispatched_at) == ("queued", 1, None)
    assert "attempt 1 fails on purpose" in between.error
    run = _work_until_finished(work, job_id)
    assert (run.status, run.attempts, run.result) == ("done", 3, {"attempt": 3})


def test_job_that_keeps_failing_is_visible_not_dropped(queue_env):
    from tests.core import worker_jobs

    db, queue, conn, work, trust_id = queue_env
    job_id = jobs.enqueue(worker_jobs.fail_until, trust_id, 99)
    run = _work_until_finished(work, job_id)
    assert run.status == "failed" and run.attempts == run.max_attempts == 4
    assert "attempt 4 fails on purpose" in run.error
    assert job_id in FailedJobRegistry(queue, connection=conn).get_job_ids()
    assert worker_jobs.runs(trust_id, "attempts") == {"n": 4}  # no fifth run


def test_redis_down_at_enqueue_loses_nothing(queue_env):
    """The outbox: Redis refusing the job leaves it recorded and waiting, then it runs."""
    from tests.core import worker_jobs

    db, queue, conn, work, trust_id = queue_env
    jobs.configure("redis://127.0.0.1:1/0", queue)  # nothing listens there
    job_id = jobs.enqueue(worker_jobs.count_up, trust_id)  # must not raise
    run = jobs.job_status(job_id)
    assert (run.status, run.dispatched_at) == ("queued", None)
    assert jobqueue.dispatch_pending() == 0  # still down: still waiting, nothing lost
    assert len(Queue(queue, connection=conn)) == 0
    jobs.configure(REDIS_URL, queue)  # Redis is back
    assert jobqueue.dispatch_pending() == 1
    assert jobs.job_status(job_id).dispatched_at is not None
    work()
    assert jobs.job_status(job_id).status == "done"
    assert worker_jobs.runs(trust_id, "worker_test") == {"runs": 1}


def test_job_recorded_in_a_transaction_goes_to_the_queue_only_if_it_commits(queue_env):
    from tests.core import worker_jobs

    db, queue, conn, work, trust_id = queue_env
    with db.session(SYSTEM) as s:
        rolled = jobs.enqueue(worker_jobs.count_up, trust_id, session=s)
        assert len(Queue(queue, connection=conn)) == 0  # not before the commit
        s.rollback()
    assert jobs.job_status(rolled) is None and len(Queue(queue, connection=conn)) == 0
    with db.transaction(SYSTEM) as s:
        kept = jobs.enqueue(worker_jobs.count_up, trust_id, session=s)
    assert len(Queue(queue, connection=conn)) == 1
    work()
    assert jobs.job_status(kept).status == "done"


def test_a_job_handed_to_the_queue_twice_runs_once(queue_env):
    from tests.core import worker_jobs

    db, queue, conn, work, trust_id = queue_env
    job_id = jobs.enqueue(worker_jobs.count_up, trust_id)
    Queue(queue, connection=conn).enqueue("core.jobs.run_job", job_id)  # a duplicate hand-over
    work()
    assert worker_jobs.runs(trust_id, "worker_test") == {"runs": 1}
    assert jobs.job_status(job_id).attempts == 1


def test_reconciler_hands_over_a_job_the_queue_lost(queue_env):
    from tests.core import worker_jobs

    db, queue, conn, work, trust_id = queue_env
    job_id = jobs.enqueue(worker_jobs.count_up, trust_id)
    conn.delete(f"rq:job:{job_id}")  # Redis restarted without its data
    Queue(queue, connection=conn).empty()
    _age_dispatch(db, job_id)
    counts = jobqueue.maintain()
    assert counts["redispatched"] == 1 and counts["dispatched"] == 1
    work()
    assert jobs.job_status(job_id).status == "done"
    assert worker_jobs.runs(trust_id, "worker_test") == {"runs": 1}


def _age_dispatch(db, job_id):
    from core.models import JobRun

    with db.transaction(SYSTEM) as s:
        s.get(JobRun, job_id).dispatched_at = utcnow() - dt.timedelta(minutes=5)


def _abandon(db, job_id, attempts):
    """What a worker killed mid-job leaves behind: running, no recent heartbeat."""
    from core.models import JobRun

    with db.transaction(SYSTEM) as s:
        run = s.get(JobRun, job_id)
        run.status, run.attempts, run.worker = "running", attempts, "rq:gone:1"
        run.started_at = run.heartbeat_at = utcnow() - dt.timedelta(minutes=10)


def test_abandoned_job_is_run_again_then_given_up_with_a_reason(queue_env):
    from tests.core import worker_jobs

    db, queue, conn, work, trust_id = queue_env
    job_id = jobs.enqueue(worker_jobs.count_up, trust_id)
    Queue(queue, connection=conn).empty()
    _abandon(db, job_id, attempts=1)
    assert jobqueue.state_of(jobs.job_status(job_id)) == "stuck"
    assert jobqueue.reconcile()["requeued"] == 1
    run = jobs.job_status(job_id)
    assert run.status == "queued" and jobqueue.WORKER_STOPPED in run.message
    _abandon(db, job_id, attempts=4)  # the last attempt dies too
    assert jobqueue.reconcile()["failed"] == 1
    run = jobs.job_status(job_id)
    assert run.status == "failed" and "worker stopped" in run.error and "4 of 4" in run.error
    assert jobqueue.reconcile() == {"requeued": 0, "failed": 0, "redispatched": 0}
    after, retried = jobqueue.retry(job_id)  # an admin's retry runs it once more
    assert retried and after.max_attempts == 8
    work()
    assert jobs.job_status(job_id).status == "done"
    assert worker_jobs.runs(trust_id, "worker_test") == {"runs": 1}


def test_a_live_job_with_a_fresh_heartbeat_is_left_alone(queue_env):
    from core.models import JobRun
    from tests.core import worker_jobs

    db, queue, conn, work, trust_id = queue_env
    job_id = jobs.enqueue(worker_jobs.count_up, trust_id)
    _abandon(db, job_id, attempts=1)
    with db.transaction(SYSTEM) as s:
        s.get(JobRun, job_id).heartbeat_at = utcnow()
    assert jobqueue.reconcile()["requeued"] == 0
    assert jobs.job_status(job_id).status == "running"
