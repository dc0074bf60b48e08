"""The Redis path: jobs go to a real Redis and a real ``rq worker`` process runs them."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.registry import FailedJobRegistry

from core import jobs
from core.db import SYSTEM, use_database
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


def test_failed_job_is_retried_then_succeeds(queue_env, monkeypatch):
    from tests.core import worker_jobs

    monkeypatch.setattr(jobs, "RETRY_INTERVALS", [0, 0, 0])
    db, queue, conn, work, trust_id = queue_env
    job_id = jobs.enqueue(worker_jobs.fail_until, trust_id, 3)
    work()
    run = jobs.job_status(job_id)
    assert (run.status, run.attempts, run.result) == ("done", 3, {"attempt": 3})


def test_job_that_keeps_failing_is_visible_not_dropped(queue_env, monkeypatch):
    from tests.core import worker_jobs

    monkeypatch.setattr(jobs, "RETRY_INTERVALS", [0, 0, 0])
    db, queue, conn, work, trust_id = queue_env
    job_id = jobs.enqueue(worker_jobs.fail_until, trust_id, 99)
    work()
    run = jobs.job_status(job_id)
    assert run.status == "failed" and run.attempts == 4  # first try + 3 retries
    assert "attempt 4 fails on purpose" in run.error
    assert job_id in FailedJobRegistry(queue, connection=conn).get_job_ids()
