"""``mat attendance import``: import a register file with a progress bar."""
from __future__ import annotations

import json
import os
import sys
import time

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
def import_file(school_id: int, path: str, source: str, layout: str) -> None:
    """Import PATH into SCHOOL_ID: all its marks, or none if any row is bad."""
    from core import jobs as core_jobs

    from . import jobs, service

    try:
        with current_database().transaction(SYSTEM) as s:
            batch = service.create_batch(s, None, school_id, source, os.path.abspath(path),
                                         os.path.basename(path), json.loads(layout))
            batch_id = batch.id
    except (ValidationError, ValueError) as exc:
        click.echo(f"error: {getattr(exc, 'errors', exc)}", err=True)
        sys.exit(2)
    size = os.path.getsize(path)
    with click.progressbar(length=size, label="importing") as bar:
        if core_jobs.redis_url():  # a worker does it: follow its progress
            job_id = core_jobs.enqueue(jobs.import_batch, batch_id, school_id=school_id,
                                       plugin="attendance")
            while (run := core_jobs.job_status(job_id)).status in ("queued", "running"):
                bar.update(run.progress_done - bar.pos)
                time.sleep(0.5)
        else:
            service.run_batch(batch_id, progress=lambda done, total: bar.update(done - bar.pos))
    with current_database().transaction(SYSTEM) as s:
        from .models import ImportBatch

        b = s.get(ImportBatch, batch_id)
        if b.status == "done":
            click.echo(f"imported {b.marks_imported} marks ({b.first_date} to {b.last_date})")
            return
        click.echo(f"nothing imported: {b.error_count} problems", err=True)
        for e in b.errors:
            click.echo(f"  line {e['line']}, {e['field']}: {e['problem']}", err=True)
        sys.exit(1)
