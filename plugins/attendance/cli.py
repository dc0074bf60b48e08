"""``mat attendance import``: import a register file with a progress bar."""
from __future__ import annotations

import json
import os
import sys

import click

from core.db import SYSTEM, current_database
from core.errors import ValidationError


@click.group()
def attendance() -> None:
    """Register marks: import files, analyse for signals."""


@attendance.command("import")
@click.argument("school_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", type=click.Choice(["csv", "ctf"]), default="csv")
@click.option("--layout", default="{}", help='CSV column mapping as JSON, e.g. '
              '\'{"format": "wide", "pupil": "UPN"}\'')
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="follow the worker's progress until the import ends (with MAT_REDIS_URL)")
def import_file(school_id: int, path: str, source: str, layout: str, wait: bool) -> None:
    """Import PATH into SCHOOL_ID: all its marks, or none if any row is bad. With a job queue
    a worker imports it and this command shows its progress. Exits 1 when nothing was
    imported (each problem listed), 3 when the outcome could not be learnt."""
    from core import jobs as core_jobs
    from plugins.attendance import jobs, service

    queued = bool(core_jobs.redis_url())
    try:
        with current_database().transaction(SYSTEM) as s:
            batch = service.create_batch(s, None, school_id, source, os.path.abspath(path),
                                         os.path.basename(path), json.loads(layout))
            batch_id = batch.id
            job_id = jobs.queue_import(s, batch, None, delete_after=False) if queued else None
    except (ValidationError, ValueError) as exc:
        click.echo(f"error: {getattr(exc, 'errors', exc)}", err=True)
        sys.exit(2)
    if job_id and not wait:
        click.echo(f"import {batch_id} queued as job {job_id}; follow it with "
                   f"`mat jobs list` (the worker reads {os.path.abspath(path)})")
        return
    with click.progressbar(length=os.path.getsize(path), label="importing") as bar:
        if job_id:  # a worker does it: follow its progress
            _follow(job_id, bar)
        else:
            try:
                service.run_batch(batch_id,
                                  progress=lambda done, total: bar.update(done - bar.pos))
            except Exception as exc:  # recorded on the batch, reported below
                click.echo(f"\nthe import stopped: {type(exc).__name__}: {exc}", err=True)
    _report(batch_id)


def _follow(job_id: str, bar) -> None:
    """Show the worker's progress until the job ends; say so when it waits for the queue or
    is retried, and stop (exit 3) if the database stays away."""
    from core import jobs as core_jobs

    told: set[str] = set()

    def show(run) -> None:
        bar.update(max(0, run.progress_done - bar.pos))
        if run.status == "queued" and run.dispatched_at is None and run.attempts == 0 \
                and "queue" not in told:
            told.add("queue")
            click.echo("\nwaiting for the job queue (is Redis up, and `mat worker` "
                       "running?); the import is saved and starts when it is", err=True)
        if run.status == "queued" and run.attempts and f"retry{run.attempts}" not in told:
            told.add(f"retry{run.attempts}")
            click.echo(f"\nattempt {run.attempts} of {run.max_attempts} stopped; "
                       f"trying again", err=True)

    try:
        run = core_jobs.wait_for(job_id, show)
    except core_jobs.JobWaitError as exc:
        click.echo(f"\n{exc}", err=True)
        sys.exit(3)
    if run.status == "failed":
        last = (run.error or "unknown error").strip().splitlines()[-1]
        click.echo(f"\nthe import job failed: {last}", err=True)


def _report(batch_id: int) -> None:
    from plugins.attendance import service

    with current_database().transaction(SYSTEM) as s:
        b = service.batch_by_id(s, batch_id)
        if b.status == "done":
            click.echo(f"imported {b.marks_imported} marks ({b.first_date} to {b.last_date})")
            return
        click.echo(f"nothing imported: {b.error_count} problems", err=True)
        for e in b.errors:
            click.echo(f"  line {e['line']}, {e['field']}: {e['problem']}", err=True)
    sys.exit(1)
