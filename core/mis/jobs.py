"""Background work for MIS imports: module-level functions taking ids, safe to run twice."""
from __future__ import annotations

from core.db import SYSTEM, current_database
from core.jobs import current_job


def run_import(import_id: int) -> dict:
    """Preview or commit one recorded import, reporting progress (bytes read of the file).
    An import already committed is left as it is."""
    from core.mis import service

    job = current_job()
    progress = (lambda done, total: job.progress(done, total)) if job else None
    return service.run_import(import_id, progress)


def import_failed(job_id: str, reason: str) -> None:
    """``on_failure`` of :func:`run_import`: the import says it stopped, and why."""
    from core.models import JobRun, MisImport

    with current_database().transaction(SYSTEM) as s:
        run = s.get(JobRun, job_id)
        imp = s.get(MisImport, run.args["args"][0])
        if imp is not None and imp.status != "committed":
            imp.status = "failed"
            imp.report = {**(imp.report or {}), "failure": (reason or "")[:500]}


def pick_up_folder(school_id: int) -> dict:
    """The recurring job: import (and commit) the files dropped in the school's folder, and
    let go of the files of previews nobody confirmed within a week."""
    from core.mis.folder import pick_up
    from core.mis.service import expire_previews

    with current_database().transaction(SYSTEM) as s:
        expired = expire_previews(s, school_id)
    return {**pick_up(school_id), "previews_expired": expired}
