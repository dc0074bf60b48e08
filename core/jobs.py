"""One way to run background work, and a record of it that can never be lost.

``enqueue(func, *args, session=s, ...)`` takes a module-level function and JSON-able arguments
(ids, never ORM objects) and adds a :class:`~core.models.JobRun` row to the caller's
transaction: a transactional outbox. Once that transaction commits the job is handed over:
with ``MAT_REDIS_URL`` set, to RQ (:mod:`core.jobqueue`), where ``mat worker`` runs it; with
none, it runs inline in this process, after the commit, so a first run needs no Redis and the
job never waits on the request's own write lock. If Redis cannot take the job, the row stays
``queued`` with ``dispatched_at`` empty and the dispatcher hands it over when Redis is back.

The row is the source of truth: a worker claims it before running (so a job handed to RQ
twice runs once), writes a heartbeat while it runs, and records the outcome. A failure is
retried with backoff up to ``max_attempts``; the reconciler (:func:`core.jobqueue.reconcile`)
re-queues or fails, with a reason a person understands, a job whose worker died. A job for a
plugin and a school is skipped when the plugin is off there.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import importlib
import json
import logging
import os
import re
import socket
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import SYSTEM, current_database, utcnow
from core.models import JobRun

log = logging.getLogger(__name__)
FINISHED = ("done", "failed", "skipped")


@dataclass(frozen=True)
class Timings:
    """How jobs are retried and watched. Defaults suit production; the deployed-shape tests
    shorten them through the same environment variables."""

    backoff_seconds: tuple[int, ...] = (10, 60, 300)  # between attempts: 4 attempts in all
    heartbeat_seconds: int = 15  # a running job's heartbeat; stale after 4 of them
    reconcile_seconds: int = 60  # the scheduler's dispatcher and reconciler
    recurring_every_seconds: int | None = None  # tests: every recurring job this often
    job_timeout: int = 3600

    @property
    def max_attempts(self) -> int:
        return len(self.backoff_seconds) + 1

    @property
    def stale_after(self) -> dt.timedelta:
        return dt.timedelta(seconds=4 * self.heartbeat_seconds)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Timings":
        """Read ``MAT_JOB_BACKOFF_SECONDS`` ("10,60,300"), ``MAT_JOB_HEARTBEAT_SECONDS``,
        ``MAT_RECONCILE_SECONDS`` and ``MAT_RECURRING_EVERY_SECONDS``; a bad value names
        its variable."""
        e = os.environ if environ is None else environ

        def whole(name: str, default: int | None) -> int | None:
            raw = e.get(name, "").strip()
            if not raw:
                return default
            if not raw.isdigit() or int(raw) < 1:
                raise RuntimeError(f"{name}: must be a whole number of seconds, 1 or more "
                                   f"(got {raw!r})")
            return int(raw)

        raw = e.get("MAT_JOB_BACKOFF_SECONDS", "").strip()
        backoff = cls.backoff_seconds
        if raw:
            parts = [p.strip() for p in raw.split(",")]
            if not all(p.isdigit() for p in parts):
                raise RuntimeError("MAT_JOB_BACKOFF_SECONDS: must be whole seconds separated "
                                   f"by commas, e.g. 10,60,300 (got {raw!r})")
            backoff = tuple(int(p) for p in parts)
        return cls(backoff_seconds=backoff,
                   heartbeat_seconds=whole("MAT_JOB_HEARTBEAT_SECONDS", 15),
                   reconcile_seconds=whole("MAT_RECONCILE_SECONDS", 60),
                   recurring_every_seconds=whole("MAT_RECURRING_EVERY_SECONDS", None))


_redis_url: str | None = None
_queue_name = "mat"
_timings = Timings()


def configure(redis_url: str | None, queue_name: str = "mat",
              timings: Timings | None = None) -> None:
    """Choose Redis (``redis_url``) or inline running for this process, and its timings
    (by default from the environment)."""
    global _redis_url, _queue_name, _timings
    _redis_url = redis_url or None
    _queue_name = queue_name
    _timings = timings or Timings.from_env()


def redis_url() -> str | None:
    return _redis_url


def queue_name() -> str:
    return _queue_name


def timings() -> Timings:
    return _timings


def func_path(func: Callable) -> str:
    if "<locals>" in func.__qualname__ or "." in func.__qualname__:
        raise ValueError(f"{func.__qualname__}: jobs must be module-level functions")
    return f"{func.__module__}:{func.__name__}"


def resolve(path: str) -> Callable:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def safe_id(job_id: str) -> str:
    """RQ accepts letters, digits, "_" and "-" in job ids; stable ids such as
    "attendance:analyse:3:2026-11-24" are folded into that alphabet."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", job_id)[:64]


@dataclass
class JobContext:
    job_id: str
    school_id: int | None
    user_id: int | None
    done: int = 0
    total: int | None = None
    message: str = ""

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        """Record progress in its own short transaction, so pages polling it see it now.
        On SQLite it is kept until the job ends instead: a second connection writing while
        the job's own transaction has read would make that transaction's first write fail
        ("database is locked"), since SQLite has one writer and cannot upgrade a stale read."""
        self.done, self.total = done, total if total is not None else self.total
        self.message = message or self.message
        db = current_database()
        if db.engine.dialect.name == "sqlite":
            return
        with db.transaction(SYSTEM) as s:
            run = s.get(JobRun, self.job_id)
            if run is not None:
                run.progress_done = done
                if total is not None:
                    run.progress_total = total
                if message:
                    run.message = message[:500]


_current: contextvars.ContextVar[JobContext | None] = contextvars.ContextVar("mat_job",
                                                                               default=None)


def current_job() -> JobContext | None:
    """The running job's context (for progress), or ``None`` outside a job."""
    return _current.get()


# ---- recording a job (the outbox) ---------------------------------------------------------

def _record(s: Session, job_id: str, path: str, args: tuple, kwargs: dict, *,
            school_id: int | None, plugin: str | None, user_id: int | None,
            recurring: str | None, on_failure: str | None, rerun: bool) -> bool:
    """Add or re-arm the row; returns whether it needs handing over. A job already queued or
    running is left alone; a finished one runs again only with ``rerun``."""
    existing = s.get(JobRun, job_id)
    if existing is not None:
        if existing.status in ("queued", "running") or not rerun:
            return False
        # attempt numbers keep counting, so an old attempt that wakes up cannot record over
        # the new one; the rerun gets a full set of attempts of its own
        existing.max_attempts = existing.attempts + _timings.max_attempts
        existing.status, existing.error = "queued", None
        existing.enqueued_at, existing.dispatched_at, existing.run_after = utcnow(), None, None
        existing.finished_at = None
        return True
    record = {"args": list(args), "kwargs": kwargs}
    if on_failure:
        record["on_failure"] = on_failure
    s.add(JobRun(id=job_id, func=path, school_id=school_id, plugin=plugin, user_id=user_id,
                 args=record, recurring=recurring, max_attempts=_timings.max_attempts))
    return True


def enqueue(func: Callable, *args: Any, school_id: int | None = None,
            plugin: str | None = None, user_id: int | None = None, job_id: str | None = None,
            session: Session | None = None, recurring: str | None = None,
            on_failure: Callable | None = None, rerun: bool = True, **kwargs: Any) -> str:
    """Run ``func(*args, **kwargs)`` in the background and return the job id.

    With ``session`` the job's row joins that session's transaction and is handed over only
    when it commits (nothing if it rolls back); without, it is recorded and handed over now.
    A stable ``job_id`` makes enqueueing twice harmless while the first is pending (and, with
    ``rerun=False``, for ever: what a recurring tick needs). ``on_failure(job_id, reason)``
    is called, in its own transaction, when the job has finally failed, so a status shown to
    people (an import batch) follows. Never raises because Redis is down."""
    path = func_path(func)
    json.dumps([args, kwargs])  # refuse ORM objects and other non-JSON arguments early
    stable = job_id is not None
    job_id = safe_id(job_id) if stable else uuid.uuid4().hex
    options = dict(school_id=school_id, plugin=plugin, user_id=user_id, recurring=recurring,
                   on_failure=func_path(on_failure) if on_failure else None, rerun=rerun)
    if session is not None:
        fresh = _record_in(session, job_id, path, args, kwargs, stable=stable, **options)
        if fresh:
            _hand_over_after_commit(session, job_id)
        return job_id
    try:
        with current_database().transaction(SYSTEM) as s:
            fresh = _record(s, job_id, path, args, kwargs, **options)
    except IntegrityError:
        return job_id
    if fresh:
        hand_over(job_id)
    return job_id


def _record_in(session: Session, job_id: str, path: str, args: tuple, kwargs: dict, *,
               stable: bool, **options: Any) -> bool:
    if not stable:  # a fresh random id cannot collide: no savepoint needed
        return _record(session, job_id, path, args, kwargs, **options)
    try:
        with session.begin_nested():
            fresh = _record(session, job_id, path, args, kwargs, **options)
            session.flush()
        return fresh
    except IntegrityError:  # the same stable id recorded by another transaction just now
        return False


def enqueue_after_commit(session: Session, func: Callable, *args: Any, **options: Any) -> str:
    """:func:`enqueue` ``func(*args, **options)`` in ``session``'s transaction; the same call
    made twice in one transaction records one job."""
    key = json.dumps([func_path(func), args, sorted(options.items())], default=str)
    queued = session.info.setdefault("jobs_by_call", {})
    job_id = queued.get(key)
    if job_id is not None and session.get(JobRun, job_id) is not None:
        return job_id
    queued[key] = job_id = enqueue(func, *args, session=session, **options)
    return job_id


def _hand_over_after_commit(session: Session, job_id: str) -> None:
    from sqlalchemy import event

    pending = session.info.get("jobs_to_hand_over")
    if pending is None:
        pending = session.info["jobs_to_hand_over"] = []

        def committed(session_):
            if session_.get_nested_transaction() is not None:
                return  # SQLAlchemy fires this for a released SAVEPOINT too: not committed yet
            waiting = list(dict.fromkeys(pending))
            pending.clear()
            session_.info.pop("jobs_by_call", None)
            if waiting:  # a job recorded in a savepoint that rolled back is not there
                with current_database().transaction(SYSTEM) as s:
                    there = set(s.scalars(select(JobRun.id).where(JobRun.id.in_(waiting))))
                for jid in waiting:
                    if jid in there:
                        hand_over(jid)

        def rolled_back(session_, previous):
            if not previous.nested:
                pending.clear()
                session_.info.pop("jobs_by_call", None)

        event.listen(session, "after_commit", committed)
        event.listen(session, "after_soft_rollback", rolled_back)
    pending.append(job_id)


def hand_over(job_id: str) -> None:
    """Give a recorded job to RQ, or run it inline without Redis. Never raises: a job RQ
    could not take waits for the dispatcher; an inline failure is on its row."""
    if _redis_url:
        from core.jobqueue import dispatch

        dispatch(job_id)
        return
    log.info("job %s running inline", job_id)
    try:
        run_job(job_id)
    except Exception:  # a job's own failure is on its row; anything else is logged here
        log.exception("inline job %s did not complete", job_id)


# ---- running a job ------------------------------------------------------------------------

def worker_name() -> str:
    return f"{'rq' if _redis_url else 'inline'}:{socket.gethostname()}:{os.getpid()}"[:120]


def _claim(job_id: str) -> tuple[JobRun, int] | None:
    """Mark the job running for this process, unless another has it or it is finished (a job
    handed to RQ twice runs once). Returns the row's values and this attempt's number."""
    now = utcnow()
    with current_database().transaction(SYSTEM) as s:
        run = s.get(JobRun, job_id, with_for_update=True)
        if run is None:
            raise LookupError(f"no job {job_id}")
        if run.status != "queued" or (run.run_after is not None and run.run_after > now):
            log.info("job %s is %s: not run again here", job_id, run.status)
            return None
        run.status, run.started_at, run.attempts = "running", now, run.attempts + 1
        run.heartbeat_at, run.worker, run.finished_at = now, worker_name(), None
        s.flush()
        s.expunge(run)
        return run, run.attempts


class _Heartbeat(threading.Thread):
    """Writes ``heartbeat_at`` while a job runs in a worker, so the reconciler can tell a
    long job from one whose worker died."""

    def __init__(self, job_id: str, attempt: int):
        super().__init__(daemon=True, name=f"heartbeat-{job_id}")
        self.job_id, self.attempt, self.stop = job_id, attempt, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(_timings.heartbeat_seconds):
            try:
                with current_database().transaction(SYSTEM) as s:
                    s.execute(update(JobRun).where(
                        JobRun.id == self.job_id, JobRun.status == "running",
                        JobRun.attempts == self.attempt).values(heartbeat_at=utcnow()))
            except Exception as exc:  # the database is restarting: try again next beat
                log.warning("job %s heartbeat not written: %s", self.job_id, exc)


def run_job(job_id: str) -> Any:
    """Run a recorded job (what the RQ worker executes). Records the outcome; a failure with
    attempts left is queued again after its backoff, the last one is re-raised."""
    claimed = _claim(job_id)
    if claimed is None:
        return None
    run, attempt = claimed
    args, kwargs = run.args.get("args", []), run.args.get("kwargs", {})
    if run.plugin and run.school_id is not None:
        from core.plugins import current_host

        with current_database().transaction(SYSTEM) as s:
            enabled = current_host().is_enabled(s, run.school_id, run.plugin)
        if not enabled:
            _finish(job_id, attempt, "skipped",
                    message=f"{run.plugin} is off for school {run.school_id}")
            return None
    beat = _Heartbeat(job_id, attempt) if _redis_url else None
    if beat:
        beat.start()
    context = JobContext(job_id, run.school_id, run.user_id)
    token = _current.set(context)
    try:
        result = resolve(run.func)(*args, **kwargs)
    except Exception as exc:
        error = "".join(traceback.format_exception(exc))[-4000:]
        log.exception("job %s failed (attempt %s)", job_id, attempt)
        if _redis_url and attempt < run.max_attempts:
            retry_later(job_id, attempt, error)
            return None
        give_up(job_id, attempt, error)
        raise
    finally:
        _current.reset(token)
        if beat:
            beat.stop.set()
    _finish(job_id, attempt, "done", result=result if isinstance(result, dict) else None,
            context=context)
    return result


def _finish(job_id: str, attempt: int, status: str, *, error: str | None = None,
            message: str = "", result: dict | None = None,
            context: JobContext | None = None) -> bool:
    """Record the outcome, unless the reconciler already gave this attempt up (a worker
    thought dead that came back): returns whether it was recorded."""
    with current_database().transaction(SYSTEM) as s:
        run = s.get(JobRun, job_id, with_for_update=True)
        if run is None or run.status != "running" or run.attempts != attempt:
            log.warning("job %s attempt %s: outcome %s not recorded (the job moved on)",
                        job_id, attempt, status)
            return False
        run.status, run.finished_at, run.error = status, utcnow(), error
        if context is not None and context.done:  # the last progress (kept back on SQLite)
            run.progress_done, run.progress_total = context.done, context.total
            message = message or context.message
        if message:
            run.message = message[:500]
        if result is not None:
            run.result = json.loads(json.dumps(result, default=str))
        return True


def retry_later(job_id: str, attempt: int, error: str, reason: str = "") -> bool:
    """Queue attempt ``attempt + 1`` after its backoff (the dispatcher hands it over then)."""
    wait = _timings.backoff_seconds[min(attempt, len(_timings.backoff_seconds)) - 1]
    with current_database().transaction(SYSTEM) as s:
        done = s.execute(update(JobRun).where(
            JobRun.id == job_id, JobRun.status == "running", JobRun.attempts == attempt).values(
            status="queued", error=error, dispatched_at=None, worker=None,
            run_after=utcnow() + dt.timedelta(seconds=wait),
            message=(reason or f"attempt {attempt} failed")[:400]
            + f"; trying again in {wait} s")).rowcount
    return bool(done)


def give_up(job_id: str, attempt: int, error: str) -> bool:
    """Mark the job failed for good and let its owner's status follow (``on_failure``)."""
    if not _finish(job_id, attempt, "failed", error=error):
        return False
    with current_database().transaction(SYSTEM) as s:
        run = s.get(JobRun, job_id)
        hook = (run.args or {}).get("on_failure")
    if hook:
        try:
            resolve(hook)(job_id, error.strip().splitlines()[-1][:300] if error else "")
        except Exception:
            log.exception("job %s: its on_failure hook %s failed", job_id, hook)
    return True


def job_status(job_id: str) -> JobRun | None:
    with current_database().transaction(SYSTEM) as s:
        return s.get(JobRun, job_id)


class JobWaitError(RuntimeError):
    """Waiting on a job stopped without knowing its outcome (the database stayed away)."""


def wait_for(job_id: str, on_progress: Callable[[JobRun], None] | None = None, *,
             poll: float = 0.5, database_patience: float = 120.0) -> JobRun:
    """Wait until the job has finished and return its row. Rides out a database restart
    (reconnecting) for ``database_patience`` seconds, then raises :class:`JobWaitError`."""
    from sqlalchemy.exc import DBAPIError

    away_since: float | None = None
    while True:
        try:
            run = job_status(job_id)
            away_since = None
        except DBAPIError as exc:
            away_since = away_since or time.monotonic()
            if time.monotonic() - away_since > database_patience:
                raise JobWaitError(
                    f"the database could not be reached for {int(database_patience)} s "
                    f"({exc.orig or exc}); job {job_id} may still finish: see `mat jobs list`")
            log.warning("database unreachable while waiting on job %s; retrying", job_id)
            time.sleep(min(2.0, poll * 4))
            continue
        if run is None:
            raise JobWaitError(f"no job {job_id}")
        if run.status in FINISHED:
            return run
        if on_progress:
            on_progress(run)
        time.sleep(poll)


# ---- recurring work -----------------------------------------------------------------------

def for_each_school_with(plugin: str, func: Callable, *, tick: dt.datetime | None = None,
                         recurring: str | None = None, **kwargs: Any) -> list[str]:
    """Enqueue ``func(school_id, **kwargs)`` for every school with ``plugin`` on (every school
    for ``core``): what a
    recurring job does. With a ``tick`` (the schedule's moment) ids carry it, so however
    many schedulers fire that tick each school's job is recorded once; without (a command
    run by hand) ids are stable per school and day."""
    from core.calendar import london_today
    from core.models import PluginSetting

    from core.models import School
    from core.plugins import CORE

    with current_database().transaction(SYSTEM) as s:
        if plugin == CORE:  # core is on in every school
            schools = list(s.scalars(select(School.id).order_by(School.id)))
        else:
            schools = list(s.scalars(select(PluginSetting.school_id).where(
                PluginSetting.plugin == plugin, PluginSetting.enabled.is_(True))
                .order_by(PluginSetting.school_id)))
    stamp = tick.strftime("%Y%m%dT%H%M%S") if tick else london_today().isoformat()
    name = recurring.partition(":")[2] if recurring else func.__name__
    return [enqueue(func, sid, school_id=sid, plugin=plugin, recurring=recurring,
                    job_id=f"{plugin}:{name}:{sid}:{stamp}", rerun=tick is None, **kwargs)
            for sid in schools]
