"""The Redis side of the job outbox: hand recorded jobs to RQ, and find the ones that got lost.

* :func:`dispatch` gives one recorded job to RQ and marks it ``dispatched_at``; if Redis is
  down it says so and the job waits in the database.
* :func:`dispatch_pending` hands over every job waiting for the queue (or whose retry is due).
* :func:`reconcile` finds jobs whose RQ job is gone (Redis restarted without its data), failed
  outside our code (a work-horse killed), or abandoned (a running job's heartbeat stopped),
  and queues them again while attempts remain, or marks them failed with a reason.
* :func:`maintain` is both, run by ``mat worker`` at start and by ``mat scheduler`` every
  ``MAT_RECONCILE_SECONDS``.

Running the same job twice is prevented by the row, not by Redis: a worker claims the row
before it runs the job (:func:`core.jobs.run_job`).
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import and_, delete, or_, select, update

from core import jobs
from core.db import SYSTEM, current_database, utcnow
from core.models import JobRun

log = logging.getLogger(__name__)
WORKER_STOPPED = "the worker stopped while running this job"
QUEUE_LOST = "the job queue lost this job (Redis restarted or was emptied)"


def _queue():
    from redis import Redis
    from rq import Queue

    conn = Redis.from_url(jobs.redis_url(), socket_connect_timeout=3, socket_timeout=10)
    return Queue(jobs.queue_name(), connection=conn)


def dispatch(job_id: str, queue=None) -> bool:
    """Give the recorded job to RQ. Returns ``False``, with the job left waiting in the
    database, when Redis cannot take it. Never raises for Redis."""
    from redis.exceptions import RedisError

    try:
        (queue or _queue()).enqueue(
            "core.jobs.run_job", job_id, job_id=job_id, job_timeout=jobs.timings().job_timeout,
            result_ttl=24 * 3600, failure_ttl=30 * 24 * 3600)
    except RedisError as exc:
        log.warning("job %s waits in the database: the queue is unreachable (%s)", job_id, exc)
        return False
    with current_database().transaction(SYSTEM) as s:
        s.execute(update(JobRun).where(JobRun.id == job_id, JobRun.dispatched_at.is_(None))
                  .values(dispatched_at=utcnow()))
    log.info("job %s handed to the queue", job_id)
    return True


def dispatch_pending(limit: int = 1000) -> int:
    """Hand over jobs waiting for the queue, oldest first; stops at the first Redis error.
    Without Redis, runs them inline. Returns how many were handed over."""
    now = utcnow()
    with current_database().transaction(SYSTEM) as s:
        ids = list(s.scalars(select(JobRun.id).where(
            JobRun.status == "queued", JobRun.dispatched_at.is_(None),
            or_(JobRun.run_after.is_(None), JobRun.run_after <= now))
            .order_by(JobRun.enqueued_at).limit(limit)))
    if not ids:
        return 0
    if not jobs.redis_url():
        for job_id in ids:
            jobs.hand_over(job_id)
        return len(ids)
    queue, sent = _queue(), 0
    for job_id in ids:
        if not dispatch(job_id, queue):
            break
        sent += 1
    return sent


def _rq_state(job_id: str, queue) -> str | None:
    """RQ's status of the job, ``None`` when RQ no longer has it."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        return Job.fetch(job_id, connection=queue.connection).get_status(refresh=False)
    except NoSuchJobError:
        return None


def _again_or_fail(run: JobRun, reason: str) -> str:
    """Queue the abandoned attempt again (attempts remain) or fail it; returns which."""
    if run.attempts < run.max_attempts:
        if jobs.retry_later(run.id, run.attempts, run.error or reason, reason):
            return "requeued"
        return "moved on"
    error = (f"{reason[0].upper()}{reason[1:]} (attempt {run.attempts} of "
             f"{run.max_attempts}); it will not be tried again. Retry it once the cause is "
             f"fixed.")
    return "failed" if jobs.give_up(run.id, run.attempts, error) else "moved on"


def reconcile() -> dict[str, int]:
    """Find lost and abandoned jobs and queue them again or fail them. Returns counts."""
    from redis.exceptions import RedisError

    counts = {"requeued": 0, "failed": 0, "redispatched": 0}
    now, t = utcnow(), jobs.timings()
    stale = now - t.stale_after
    with current_database().transaction(SYSTEM) as s:
        running = list(s.scalars(select(JobRun).where(JobRun.status == "running")))
        lost_candidates = list(s.scalars(select(JobRun).where(
            JobRun.status == "queued", JobRun.dispatched_at.is_not(None),
            JobRun.dispatched_at < now - dt.timedelta(seconds=5))))
    queue = _queue() if jobs.redis_url() else None
    for run in running:
        if run.worker and run.worker.startswith("inline:"):
            # no heartbeat inline: a process gone for longer than any job may run
            dead = (run.started_at or now) < now - dt.timedelta(seconds=t.job_timeout)
        else:
            # the heartbeat alone decides: RQ's record of the job is shared by every attempt
            # (one id), so its "failed" may be an earlier, hung attempt's, not this one's
            dead = (run.heartbeat_at or run.started_at or now) < stale
        if dead:
            outcome = _again_or_fail(run, WORKER_STOPPED)
            if outcome in counts:
                counts[outcome] += 1
            log.warning("job %s: %s (%s)", run.id, WORKER_STOPPED, outcome)
    if queue is not None:
        for run in lost_candidates:
            try:
                state = _rq_state(run.id, queue)
            except RedisError as exc:
                log.warning("reconcile: the queue is unreachable (%s)", exc)
                break
            if state in (None, "failed", "stopped", "canceled", "finished"):
                with current_database().transaction(SYSTEM) as s:
                    moved = s.execute(update(JobRun).where(
                        JobRun.id == run.id, JobRun.status == "queued",
                        JobRun.dispatched_at == run.dispatched_at).values(
                        dispatched_at=None, message=QUEUE_LOST)).rowcount
                if moved:
                    counts["redispatched"] += 1
                    log.warning("job %s: %s; handing it over again", run.id, QUEUE_LOST)
    return counts


KEEP_FINISHED = dt.timedelta(days=30)  # done and skipped runs; failed ones stay until retried
                                      # or for a year


def prune(now: dt.datetime | None = None) -> int:
    """Forget finished runs nobody needs any more (recurring jobs record one per school per
    tick: Encompass's quarter-hourly check alone is 96 a school a day). Failed runs are kept
    for a year, for the admin page and the record."""
    now = now or utcnow()
    with current_database().transaction(SYSTEM) as s:
        gone = s.execute(delete(JobRun).where(or_(
            and_(JobRun.status.in_(("done", "skipped")),
                 JobRun.finished_at < now - KEEP_FINISHED),
            and_(JobRun.status == "failed",
                 JobRun.finished_at < now - dt.timedelta(days=365))))).rowcount
    return gone or 0


def maintain() -> dict[str, int]:
    """Reconcile, hand over everything waiting, and prune old runs: what ``mat worker`` does
    at start and ``mat scheduler`` every ``MAT_RECONCILE_SECONDS``."""
    counts = reconcile()
    counts["dispatched"] = dispatch_pending()
    counts["pruned"] = prune()
    from core.mail import resend_unsent

    counts["mail_resent"] = int(resend_unsent() is not None)
    counts["sessions_pruned"] = _prune_sessions()
    if any(counts.values()):
        log.info("jobs maintained: %s", counts)
    return counts


def _prune_sessions() -> int:
    from core import runtime, websessions

    settings = runtime.configured()
    limits = websessions.Limits(dt.timedelta(minutes=settings.session_minutes),
                                dt.timedelta(hours=settings.session_max_hours))
    with current_database().transaction(SYSTEM) as s:
        return websessions.prune(s, limits)


def retry(job_id: str) -> tuple[JobRun | None, bool]:
    """Run a failed, skipped or stuck job (or one waiting for the queue) again under the same
    id, with a fresh set of attempts. Returns the row afterwards (``None`` when there is no such
    job) and whether it was retried."""
    now = utcnow()
    with current_database().transaction(SYSTEM) as s:
        run = s.get(JobRun, job_id, with_for_update=True)
        if run is None:
            return None, False
        stuck = state_of(run, now) == "stuck"
        waiting = run.status == "queued" and run.dispatched_at is None
        if run.status not in ("failed", "skipped") and not stuck and not waiting:
            return run, False
        if not waiting:
            # attempt numbers keep counting (a stuck attempt that wakes up cannot record
            # over the new one); the retry gets a full set of attempts of its own
            run.max_attempts = run.attempts + jobs.timings().max_attempts
            run.status, run.error, run.finished_at = "queued", None, None
            run.enqueued_at, run.dispatched_at, run.run_after = now, None, None
            run.message = "retried"
    jobs.hand_over(job_id)
    return jobs.job_status(job_id), True


def state_of(run: JobRun, now: dt.datetime | None = None) -> str:
    """What a person should read for the job: "waiting for the queue", "retrying", "stuck"
    (running, no heartbeat), or its status."""
    now = now or utcnow()
    if run.status == "queued":
        if run.run_after is not None and run.run_after > now:
            return "retrying"
        return "waiting for the queue" if run.dispatched_at is None and jobs.redis_url() \
            else "queued"
    if run.status == "running" and run.worker and not run.worker.startswith("inline:") and \
            (run.heartbeat_at or run.started_at or now) < now - jobs.timings().stale_after:
        return "stuck"
    return run.status


def list_jobs(session, *, status: str | None = None, school_ids: list[int] | None = None,
              limit: int = 200, include_unscoped: bool = True) -> list[JobRun]:
    """Jobs newest first. ``status`` is a status or "stuck"; ``school_ids`` limits to those
    schools (and, with ``include_unscoped``, trust-wide jobs with no school)."""
    stmt = select(JobRun)
    if status == "stuck":
        stmt = stmt.where(JobRun.status == "running", JobRun.worker.not_like("inline:%"),
                          or_(JobRun.heartbeat_at < utcnow() - jobs.timings().stale_after,
                              and_(JobRun.heartbeat_at.is_(None),
                                   JobRun.started_at < utcnow() - jobs.timings().stale_after)))
    elif status:
        stmt = stmt.where(JobRun.status == status)
    if school_ids is not None:
        cond = JobRun.school_id.in_(school_ids)
        stmt = stmt.where(or_(cond, JobRun.school_id.is_(None)) if include_unscoped else cond)
    stmt = stmt.order_by(JobRun.enqueued_at.desc(), JobRun.id).limit(limit)
    if school_ids is not None and include_unscoped:
        # trust-wide jobs (mail, say) belong to no school, so a school scope's row-level
        # security hides them: read them as the system, the schools still filtered above
        from core.db import system_scope

        with system_scope(session, "jobs of these schools and the trust-wide ones"):
            return list(session.scalars(stmt))
    return list(session.scalars(stmt))
