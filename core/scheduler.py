"""Recurring jobs on RQ's cron scheduler. Each plugin's ``RecurringJob`` becomes one cron
entry that fans out to every school with the plugin on (``core.jobs.for_each_school_with``)."""
from __future__ import annotations

from rq.cron import CronScheduler

from core.jobs import for_each_school_with, func_path, resolve
from core.plugins import current_host
from core.runtime import settings


def run_recurring(plugin: str, path: str, kwargs: dict | None = None) -> list[str]:
    """What the cron scheduler enqueues: one job per school with ``plugin`` on."""
    return for_each_school_with(plugin, resolve(path), **(kwargs or {}))


def recurring_jobs() -> list:
    return current_host().call_global("mat_recurring_jobs")


def build_scheduler(connection) -> CronScheduler:
    scheduler = CronScheduler(connection=connection, name="mat-cron")
    for job in recurring_jobs():
        scheduler.register(run_recurring, settings().queue_name,
                           args=(job.plugin, func_path(job.func), job.kwargs),
                           cron=job.cron, name=f"{job.plugin}:{job.name}")
    return scheduler
