"""The board report's figures are gathered by a real ``rq worker`` when Redis is configured:
asking queues one job (asking again while it waits queues no second), nothing is shown until
the worker has run, and then the page's report is there, small numbers suppressed."""
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
from sqlalchemy import func, select

from core import accounts, board_report, jobs, pupils, schools
from core.calendar import TermSpan
from core.db import SYSTEM, use_database
from core.models import BoardReportSnapshot
from core.policy import actor_for

REDIS_URL = os.environ.get("MAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.redis
AUTUMN = dt.date(2026, 9, 2)


def test_a_real_worker_gathers_the_figures(database_factory, backend, host):
    url, db = database_factory.create(backend)
    use_database(db)
    queue = f"mat-test-{uuid.uuid4().hex[:8]}"
    jobs.configure(REDIS_URL, queue)
    conn = Redis.from_url(REDIS_URL)
    conn.ping()  # a missing Redis is a failure, not a skip
    try:
        with db.transaction(SYSTEM) as s:
            trust = schools.create_trust(s, f"Worker trust {queue}")
            school = schools.create_school(s, trust.id, f"{700000 + os.getpid() % 99999:06d}",
                                           "Elm Primary")
            schools.set_terms(s, school.id, [TermSpan("Autumn", AUTUMN, dt.date(2026, 12, 18))])
            for n in range(3):
                pupils.add_pupil(s, None, school.id, first_name=f"Kid{n}", last_name="Elm",
                                 date_of_birth=dt.date(2016, 1, 1), year_group=5,
                                 on_roll_from=dt.date(2025, 9, 1))
            lead = accounts.create_user(s, f"lead-{queue}@example.org", "Lead", None)
            accounts.grant_role(s, lead.id, "trust_lead", trust_id=trust.id)
            trust_id, lead_id = trust.id, lead.id
        with db.transaction(SYSTEM) as s:
            actor = actor_for(s, lead_id, mfa=True)
        with db.transaction(actor.scope()) as s:
            first = board_report.queue_prepare(s, actor, trust_id, AUTUMN)
            again = board_report.queue_prepare(s, actor, trust_id, AUTUMN)
        assert first == again and len(Queue(queue, connection=conn)) == 1
        with db.transaction(actor.scope()) as s:
            assert board_report.preparing(s, trust_id, AUTUMN)
            assert board_report.latest_report(s, actor, trust_id, AUTUMN) is None
        env = dict(os.environ, MAT_DATABASE_URL=url, MAT_REDIS_URL=REDIS_URL, MAT_QUEUE=queue,
                   PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        done = subprocess.run([sys.executable, "-m", "rq.cli", "worker", "--burst", "--url",
                               REDIS_URL, queue], env=env, capture_output=True, text=True,
                              timeout=180)
        assert done.returncode == 0, done.stderr[-2000:]
        assert jobs.job_status(first).status == "done"
        with db.transaction(actor.scope()) as s:
            assert not board_report.preparing(s, trust_id, AUTUMN)
            assert s.scalar(select(func.count()).select_from(BoardReportSnapshot)) == 1
            report, _ = board_report.latest_report(s, actor, trust_id, AUTUMN)
        [elm] = report.schools
        assert (elm.name, elm.cells["pupils"], elm.cells["concerns"],
                elm.cells["concerns_per_100"]) == ("Elm Primary", "3", "0", "withheld")
    finally:
        jobs.configure(None)
        Queue(queue, connection=conn).empty()
