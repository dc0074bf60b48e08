"""Recurring jobs on RQ's cron scheduler, run the supported way: ``mat scheduler`` is a process
of its own whose main thread runs :class:`MatCronScheduler` (RQ installs signal handlers,
which only a main thread may do).

Each plugin's ``RecurringJob`` becomes one cron entry (crons read in Europe/London time); when
it falls due the scheduler itself runs :func:`run_recurring`, which records one job per school
with the plugin on in the database (so a tick cannot be lost between Redis and a worker) and
hands them to the queue. Job ids carry the tick (the cron moment that fired), so two schedulers firing the
same tick record each school's job once. The scheduler process also runs the outbox's
dispatcher and reconciler (:func:`core.jobqueue.maintain`) every ``MAT_RECONCILE_SECONDS``,
and rides out a Redis outage: what could not be enqueued is tried again, late but not lost.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import time
from typing import Any

from croniter import croniter
from rq.cron import CronScheduler
from rq.exceptions import StopRequested
from sqlalchemy import func, select

from core import jobs
from core.calendar import LONDON
from core.contributions import RecurringJob
from core.db import SYSTEM, current_database, utcnow
from core.jobs import for_each_school_with, func_path, resolve
from core.models import JobRun
from core.plugins import current_host

log = logging.getLogger(__name__)


def recurring_jobs() -> list[RecurringJob]:
    return current_host().call_global("mat_recurring_jobs")


def job_name(job: RecurringJob) -> str:
    return f"{job.plugin}:{job.name}"


def tick_of(cron: str | None, every: int | None, moment: dt.datetime) -> dt.datetime:
    """The schedule's moment that ``moment`` (when the scheduler enqueued) belongs to: the
    latest cron time at or before it in London, or the start of its ``every``-second slot."""
    moment = moment.astimezone(dt.timezone.utc)
    if every:
        return dt.datetime.fromtimestamp(int(moment.timestamp()) // every * every,
                                         dt.timezone.utc)
    local = moment.astimezone(LONDON).replace(tzinfo=None) + dt.timedelta(seconds=1)
    prev = croniter(cron, local).get_prev(dt.datetime)
    return prev.replace(tzinfo=LONDON).astimezone(dt.timezone.utc)


def next_run(cron: str | None, every: int | None, after: dt.datetime) -> dt.datetime:
    if every:
        return tick_of(None, every, after) + dt.timedelta(seconds=every)
    local = after.astimezone(LONDON).replace(tzinfo=None)
    nxt = croniter(cron, local).get_next(dt.datetime)
    return nxt.replace(tzinfo=LONDON).astimezone(dt.timezone.utc)


def _enqueued_at() -> dt.datetime:
    from rq import get_current_job

    job = get_current_job()
    at = job.enqueued_at if job is not None and job.enqueued_at else None
    if at is None:
        return utcnow()
    return at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


def run_recurring(plugin: str, path: str, kwargs: dict | None = None, name: str | None = None,
                  cron: str | None = None, every: int | None = None,
                  at: dt.datetime | None = None) -> list[str]:
    """A recurring job's tick: one job per school with ``plugin`` on, recorded once per tick
    however many schedulers fire it. ``at`` is the moment it fell due (the scheduler passes
    it); without, the moment RQ enqueued this call."""
    name = name or f"{plugin}:{path.rpartition(':')[2]}"
    if not cron and not every:  # called by hand: no tick, ids stable per school and day
        return for_each_school_with(plugin, resolve(path), recurring=name, **(kwargs or {}))
    tick = tick_of(cron, every, at or _enqueued_at())
    ids = for_each_school_with(plugin, resolve(path), tick=tick, recurring=name,
                               **(kwargs or {}))
    log.info("%s tick %s: %d school job(s)", name, tick.isoformat(), len(ids))
    return ids


def register_all(scheduler: CronScheduler, queue: str, timings: jobs.Timings) -> None:
    every = timings.recurring_every_seconds
    for job in recurring_jobs():
        scheduler.register(run_recurring, queue,
                           args=(job.plugin, func_path(job.func), job.kwargs, job_name(job),
                                 None if every else job.cron, every),
                           cron=None if every else job.cron, interval=every,
                           name=job_name(job), job_timeout=600)


class MatCronScheduler(CronScheduler):
    """RQ's cron scheduler, plus the outbox's upkeep between ticks, and patience with Redis:
    a tick that could not be enqueued stays due and is enqueued when Redis answers again."""

    def __init__(self, *args: Any, maintain_every: int = 60, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.maintain_every = maintain_every
        self._maintained_at = 0.0

    def _maintain(self) -> None:
        from core.jobqueue import maintain

        if time.monotonic() - self._maintained_at < self.maintain_every:
            return
        self._maintained_at = time.monotonic()
        try:
            maintain()
        except StopRequested:
            raise
        except Exception:  # the database or Redis is away: next time
            log.exception("job upkeep failed; trying again in %s s", self.maintain_every)

    def enqueue_jobs(self):
        """Fire every due recurring job here, in the scheduler: its schools' jobs are recorded
        in the database (the outbox) before the tick counts as done, so a tick is never lost
        to a worker or a Redis that dies before the fan-out. A tick that could not be
        recorded (the database is away) stays due and is tried again on the next turn."""
        enqueued = []
        for job in self._cron_jobs:
            if not job.should_run():
                continue
            due = job.next_enqueue_time if job.cron else utcnow()
            try:
                if job.func is run_recurring:
                    run_recurring(*job.args, at=due, **job.kwargs)
                else:
                    job.enqueue(self.connection)
            except StopRequested:
                raise
            except Exception as exc:
                log.warning("recurring %s not recorded yet: %s", job.name, exc)
                continue  # still due: tried again on the next turn
            job.set_enqueue_time(utcnow())
            enqueued.append(job)
        return enqueued

    def start(self) -> None:
        from redis.exceptions import RedisError

        log.info("scheduler %s: %d recurring job(s)", self.name, len(self._cron_jobs))
        self._install_signal_handlers()
        registered = False
        try:
            while True:
                try:
                    if not registered:
                        self.register_birth()
                        registered = True
                    if self.enqueue_jobs():
                        self.save()
                    self.heartbeat()
                except RedisError as exc:
                    log.warning("scheduler: Redis unreachable (%s); retrying", exc)
                    registered = False
                self._maintain()
                pause = min(self.calculate_sleep_interval(), 5.0,
                            max(1.0, self.maintain_every / 2))
                time.sleep(max(pause, 0.2))
        except (KeyboardInterrupt, SystemExit, StopRequested):  # Ctrl-C, SIGTERM
            pass
        finally:
            try:
                self.register_death()
            except RedisError:
                pass
            log.info("scheduler %s stopped", self.name)


def build_scheduler(connection, timings: jobs.Timings | None = None) -> MatCronScheduler:
    timings = timings or jobs.timings()
    scheduler = MatCronScheduler(connection=connection, name=f"mat-cron-{os.getpid()}",
                                 maintain_every=timings.reconcile_seconds)
    register_all(scheduler, jobs.queue_name(), timings)
    return scheduler


def schedule() -> list[dict]:
    """Each recurring job: its cron, last tick recorded, that tick's outcome, next run."""
    timings, now = jobs.timings(), utcnow()
    every = timings.recurring_every_seconds
    out = []
    with current_database().transaction(SYSTEM) as s:
        for job in recurring_jobs():
            name = job_name(job)
            last = s.scalar(select(func.max(JobRun.enqueued_at)).where(JobRun.recurring == name))
            outcome = None
            if last is not None:
                rows = s.execute(select(JobRun.status, func.count()).where(
                    JobRun.recurring == name,
                    JobRun.enqueued_at >= last - dt.timedelta(minutes=5))
                    .group_by(JobRun.status)).all()
                outcome = ", ".join(f"{n} {st}" for st, n in sorted(rows))
            out.append({"name": name, "plugin": job.plugin,
                        "cron": f"every {every} s" if every else job.cron,
                        "last_run": last.isoformat() if last else None,
                        "last_outcome": outcome,
                        "next_run": next_run(None if every else job.cron, every,
                                             now).isoformat()})
    return out
