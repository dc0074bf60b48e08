"""``mat worker``, ``mat scheduler`` and ``mat jobs``: the processes that run background work,
and what an operator uses to see and mend it."""
from __future__ import annotations

import json
import sys

import click
from sqlalchemy import select

from core.cli import cli
from core.db import SYSTEM, current_database
from core.models import JobRun, School

STATUSES = ["queued", "running", "stuck", "failed", "done", "skipped"]


def _redis_or_fail():
    from redis import Redis

    from core.runtime import settings

    url = settings().redis_url
    if not url:
        raise click.UsageError("MAT_REDIS_URL is not set: without Redis jobs run inline in "
                               "the process that queues them, and no worker is needed")
    return Redis.from_url(url)


@cli.command()
@click.option("--burst", is_flag=True, help="stop when the queue is empty")
def worker(burst: bool) -> None:
    """Run an RQ worker. At start it recovers jobs left in the database (queued while Redis
    was down, or running when a worker died). Run `mat scheduler` beside it for recurring
    jobs and retries."""
    from rq import Queue, Worker

    from core.jobqueue import maintain
    from core.runtime import settings

    conn = _redis_or_fail()
    try:
        maintain()
    except Exception as exc:  # the worker still starts: the scheduler maintains again later
        click.echo(f"warning: recovering jobs at start failed: {exc}", err=True)
    Worker([Queue(settings().queue_name, connection=conn)], connection=conn).work(burst=burst)


@cli.command()
def scheduler() -> None:
    """Run RQ's cron scheduler in this process's main thread: every plugin's recurring job
    (crons in Europe/London time), plus handing waiting jobs to the queue and recovering
    lost ones every MAT_RECONCILE_SECONDS. Two may run; each job still runs once per tick."""
    import os
    import time

    from core.scheduler import build_scheduler

    os.environ["TZ"] = "Europe/London"  # RQ reads crons in the process's local time
    time.tzset()
    build_scheduler(_redis_or_fail()).start()


@cli.group("jobs")
def jobs_group() -> None:
    """Background jobs: list them, see the recurring schedule, retry a failed one."""


def _row(run: JobRun, urns: dict[int, str]) -> dict:
    from core.jobqueue import state_of

    def iso(v):
        return v.isoformat() if v else None

    return {"id": run.id, "func": run.func, "plugin": run.plugin, "school_id": run.school_id,
            "school_urn": urns.get(run.school_id), "status": run.status,
            "state": state_of(run), "attempts": run.attempts,
            "max_attempts": run.max_attempts, "dispatched": run.dispatched_at is not None,
            "recurring": run.recurring, "enqueued_at": iso(run.enqueued_at),
            "started_at": iso(run.started_at), "finished_at": iso(run.finished_at),
            "run_after": iso(run.run_after), "heartbeat_at": iso(run.heartbeat_at),
            "progress_done": run.progress_done, "progress_total": run.progress_total,
            "message": run.message, "error": run.error}


@jobs_group.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="only jobs in this state")
@click.option("--school", "urn", help="only this school's jobs (its 6-digit URN)")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True, help="print JSON (for monitoring)")
def jobs_list(status: str | None, urn: str | None, limit: int, as_json: bool) -> None:
    """Jobs newest first, with their state, attempts and the last error."""
    from core.jobqueue import list_jobs

    with current_database().transaction(SYSTEM) as s:
        school_ids = None
        if urn is not None:
            sid = s.scalar(select(School.id).where(School.urn == urn))
            if sid is None:
                click.echo(f"error: school: no school with URN {urn!r}", err=True)
                sys.exit(2)
            school_ids = [sid]
        rows = list_jobs(s, status=status, school_ids=school_ids, limit=limit,
                         include_unscoped=urn is None)
        urns = dict(s.execute(select(School.id, School.urn)).all())
        out = [_row(r, urns) for r in rows]
    if as_json:
        click.echo(json.dumps(out, indent=1))
        return
    if not out:
        click.echo("no jobs")
        return
    for r in out:
        where = f"school {r['school_urn']}" if r["school_urn"] else "trust-wide"
        click.echo(f"{r['id']:40} {r['state']:22} {r['attempts']}/{r['max_attempts']} "
                   f"{where:14} {r['func']}")
        if r["error"] and r["status"] in ("failed", "queued"):
            click.echo(f"    {r['error'].strip().splitlines()[-1][:200]}")


@jobs_group.command("schedule")
@click.option("--json", "as_json", is_flag=True, help="print JSON (for monitoring)")
def jobs_schedule(as_json: bool) -> None:
    """Each recurring job: its cron (Europe/London), last run, last outcome and next run."""
    from core.scheduler import schedule

    rows = schedule()
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    for r in rows:
        click.echo(f"{r['name']:34} {r['cron']:14} last {r['last_run'] or 'never':33} "
                   f"{r['last_outcome'] or '':20} next {r['next_run']}")


@jobs_group.command("retry")
@click.argument("job_id")
def jobs_retry(job_id: str) -> None:
    """Run a failed or stuck job again under the same id (attempts start again)."""
    from core.jobqueue import retry, state_of

    after, retried = retry(job_id)
    if after is None:
        click.echo(f"error: job: no job {job_id!r}", err=True)
        sys.exit(2)
    if not retried:
        click.echo(f"job {job_id} is {state_of(after)}: nothing to retry")
        sys.exit(1)
    click.echo(f"job {job_id} retried: now {state_of(after)}")


@jobs_group.command("reconcile")
def jobs_reconcile() -> None:
    """Once, now: recover lost or abandoned jobs and hand waiting ones to the queue (the
    scheduler does this every MAT_RECONCILE_SECONDS)."""
    from core.jobqueue import maintain

    counts = maintain()
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))
