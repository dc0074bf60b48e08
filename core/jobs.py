"""One way to run background work.

``enqueue(func, *args, ...)`` takes a module-level function and JSON-able arguments (ids, never
ORM objects). With ``MAT_REDIS_URL`` set the job goes to an RQ queue with retries and an
``rq worker`` runs it; with none it runs inline, so a first run needs no Redis. Either way a
:class:`~core.models.JobRun` row records what happened: failures show to admins, nothing is
dropped silently. A job for a plugin and a school is skipped when the plugin is off there.
"""
from __future__ import annotations

import contextvars
import importlib
import json
import logging
import re
import traceback
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from core.db import SYSTEM, current_database, utcnow
from core.models import JobRun

log = logging.getLogger(__name__)
RETRY_INTERVALS = [10, 60, 300]
_redis_url: str | None = None
_queue_name = "mat"


def configure(redis_url: str | None, queue_name: str = "mat") -> None:
    """Choose Redis (``redis_url``) or inline running for this process."""
    global _redis_url, _queue_name
    _redis_url = redis_url or None
    _queue_name = queue_name


def redis_url() -> str | None:
    return _redis_url


def func_path(func: Callable) -> str:
    if "<locals>" in func.__qualname__ or "." in func.__qualname__:
        raise ValueError(f"{func.__qualname__}: jobs must be module-level functions")
    return f"{func.__module__}:{func.__name__}"


def resolve(path: str) -> Callable:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass
class JobContext:
    job_id: str
    school_id: int | None
    user_id: int | None

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        """Record progress in its own short transaction, so pages polling it see it now."""
        with current_database().transaction(SYSTEM) as s:
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


def enqueue(func: Callable, *args: Any, school_id: int | None = None, plugin: str | None = None,
            user_id: int | None = None, job_id: str | None = None, **kwargs: Any) -> str:
    """Run ``func(*args, **kwargs)`` in the background (or inline without Redis). Returns the
    job id. A stable ``job_id`` makes enqueueing twice harmless while the first is pending."""
    path = func_path(func)
    json.dumps([args, kwargs])  # refuse ORM objects and other non-JSON arguments early
    # RQ accepts letters, digits, "_" and "-" in job ids; stable ids like
    # "attendance:analyse:3:2026-11-24" are folded into that alphabet
    job_id = re.sub(r"[^A-Za-z0-9_-]", "_", job_id) if job_id else uuid.uuid4().hex
    db = current_database()
    with db.transaction(SYSTEM) as s:
        existing = s.get(JobRun, job_id)
        if existing is not None and existing.status in ("queued", "running"):
            return job_id
        if existing is None:
            s.add(JobRun(id=job_id, func=path, school_id=school_id, plugin=plugin, user_id=user_id,
                         args={"args": list(args), "kwargs": kwargs}))
        else:
            existing.status, existing.error, existing.attempts = "queued", None, 0
            existing.enqueued_at = utcnow()
    if _redis_url:
        from redis import Redis
        from rq import Queue, Retry

        queue = Queue(_queue_name, connection=Redis.from_url(_redis_url))
        queue.enqueue(run_job, job_id, job_id=job_id,
                      retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
                      job_timeout=3600, failure_ttl=30 * 24 * 3600)
        log.info("job %s queued: %s", job_id, path)
    else:
        log.info("job %s running inline: %s", job_id, path)
        try:
            run_job(job_id)
        except Exception:
            pass  # recorded on the JobRun row; inline callers read its status
    return job_id


def enqueue_after_commit(session, func: Callable, *args: Any, **options: Any) -> None:
    """:func:`enqueue` ``func(*args, **options)`` once ``session``'s transaction commits, so a
    worker never looks for rows not yet committed; nothing if it rolls back (a savepoint's
    rollback keeps what the outer transaction queued). The same call queued twice before the
    commit runs once."""
    from sqlalchemy import event

    pending = session.info.get("jobs_after_commit")
    if pending is None:
        pending = session.info["jobs_after_commit"] = {}

        def committed(_session):
            waiting = list(pending.values())
            pending.clear()
            for f, a, o in waiting:
                enqueue(f, *a, **o)

        def rolled_back(_session, previous):
            if not previous.nested:
                pending.clear()

        event.listen(session, "after_commit", committed)
        event.listen(session, "after_soft_rollback", rolled_back)
    key = json.dumps([func_path(func), args, sorted(options.items())], default=str)
    pending.setdefault(key, (func, args, options))


def run_job(job_id: str) -> Any:
    """Run a recorded job (what the RQ worker executes). Records the outcome and re-raises a
    failure so RQ retries it."""
    db = current_database()
    with db.transaction(SYSTEM) as s:
        run = s.get(JobRun, job_id)
        if run is None:
            raise LookupError(f"no job {job_id}")
        run.status, run.started_at, run.attempts = "running", utcnow(), run.attempts + 1
        path, school_id, plugin, user_id = run.func, run.school_id, run.plugin, run.user_id
        args, kwargs = run.args.get("args", []), run.args.get("kwargs", {})
    if plugin and school_id is not None:
        from core.plugins import current_host

        with db.transaction(SYSTEM) as s:
            enabled = current_host().is_enabled(s, school_id, plugin)
        if not enabled:
            _finish(job_id, "skipped", message=f"{plugin} is off for school {school_id}")
            return None
    token = _current.set(JobContext(job_id, school_id, user_id))
    try:
        result = resolve(path)(*args, **kwargs)
    except Exception as exc:
        _finish(job_id, "failed", error="".join(traceback.format_exception(exc))[-4000:])
        log.exception("job %s failed", job_id)
        raise
    finally:
        _current.reset(token)
    _finish(job_id, "done", result=result if isinstance(result, dict) else None)
    return result


def _finish(job_id: str, status: str, *, error: str | None = None, message: str = "",
            result: dict | None = None) -> None:
    with current_database().transaction(SYSTEM) as s:
        run = s.get(JobRun, job_id)
        run.status, run.finished_at, run.error = status, utcnow(), error
        if message:
            run.message = message
        if result is not None:
            run.result = json.loads(json.dumps(result, default=str))


def job_status(job_id: str) -> JobRun | None:
    with current_database().transaction(SYSTEM) as s:
        return s.get(JobRun, job_id)


def for_each_school_with(plugin: str, func: Callable, **kwargs: Any) -> list[str]:
    """Enqueue ``func(school_id, **kwargs)`` for every school with ``plugin`` on: what a
    recurring job does. Ids are stable per school and day, so a second run the same day
    while the first is pending adds nothing."""
    from sqlalchemy import select

    from core.calendar import london_today
    from core.models import PluginSetting

    with current_database().transaction(SYSTEM) as s:
        schools = list(s.scalars(select(PluginSetting.school_id).where(
            PluginSetting.plugin == plugin, PluginSetting.enabled.is_(True))))
    day = london_today().isoformat()
    return [enqueue(func, sid, school_id=sid, plugin=plugin,
                    job_id=f"{plugin}:{func.__name__}:{sid}:{day}", **kwargs) for sid in schools]
