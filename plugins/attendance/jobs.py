"""Background work: imports and the nightly analysis. Module-level, ids only, idempotent."""
from __future__ import annotations

import datetime as dt

from core.calendar import london_today
from core.db import SYSTEM, current_database
from core.jobs import current_job
from plugins.attendance import service
from plugins.attendance.definition import NAME


def import_batch(batch_id: int, delete_after: bool = False) -> dict:
    """Import a recorded file, reporting progress (bytes read of the file's size)."""
    job = current_job()
    progress = (lambda done, total: job.progress(done, total)) if job else None
    return service.run_batch(batch_id, progress=progress, delete_after=delete_after)


def import_failed(job_id: str, reason: str) -> None:
    """``on_failure`` of :func:`import_batch`: its last attempt failed (or its worker died
    and no attempts were left), so the batch says the import stopped, and why."""
    from core.models import JobRun

    with current_database().transaction(SYSTEM) as s:
        run = s.get(JobRun, job_id)
        batch_id = run.args["args"][0]
        delete_file = bool(run.args.get("kwargs", {}).get("delete_after"))
    # a traceback's last line names the error type first; the worker-died reason is a sentence
    head = reason.partition(":")[0] if reason and "Error" in reason.partition(":")[0] else reason
    service.stopped(batch_id, head or "the import job failed", delete_file=delete_file)


def queue_import(session, batch, user_id: int | None, *, delete_after: bool) -> str:
    """Record the import's job in the transaction that records its batch (the outbox): a
    worker can never look for a batch not yet committed, and a queue that is down only
    delays it. Returns the job id, also kept on the batch."""
    from core.jobs import enqueue

    batch.job_id = enqueue(import_batch, batch.id, session=session, school_id=batch.school_id,
                           plugin=NAME, user_id=user_id, on_failure=import_failed,
                           delete_after=delete_after)
    return batch.job_id


def import_state(batch) -> tuple[str | None, str]:
    """The import job's state as people read it, and a sentence saying what it means now (a
    queue that is down delays the import; an attempt that failed is tried again)."""
    from core.jobqueue import state_of
    from core.jobs import job_status

    run = job_status(batch.job_id) if batch.job_id else None
    if run is None:
        return None, ""
    state = state_of(run)
    if batch.status in ("done", "failed"):
        return state, ""
    if state == "waiting for the queue":
        return state, ("The file is saved and the import will start when the job queue is "
                       "reachable again. Nothing needs to be sent again.")
    if state == "retrying":
        return state, (f"Attempt {run.attempts} of {run.max_attempts} stopped; it will be "
                       "tried again automatically. Nothing was imported by that attempt.")
    if state == "stuck":
        return state, ("The worker running this import stopped answering; it will be "
                       "tried again or shown as failed within a few minutes.")
    return state, ""


def analyse_school(school_id: int, as_of: str | None = None) -> dict:
    """Look for signals in one school's marks up to ``as_of`` (default: the latest day
    marked, up to today). Running it twice adds nothing the second time."""
    with current_database().transaction(SYSTEM) as s:
        if as_of is None:
            day = service.latest_mark_date(s, school_id, london_today())
        else:
            day = dt.date.fromisoformat(as_of)
        if day is None:
            return {"signals": 0}
        found = service.analyse_school(s, school_id, day)
        return {"signals": len(found), "as_of": day.isoformat()}


def nightly_analysis(school_id: int) -> dict:
    """The recurring job: called once per school with the plugin on."""
    return analyse_school(school_id)
