"""Background work: imports and the nightly analysis. Module-level, ids only, idempotent."""
from __future__ import annotations

import datetime as dt


from core.calendar import london_today
from core.db import SYSTEM, current_database
from core.jobs import current_job


def import_batch(batch_id: int, delete_after: bool = False) -> dict:
    """Import a recorded file, reporting progress (bytes read of the file's size)."""
    from .service import run_batch

    job = current_job()
    progress = (lambda done, total: job.progress(done, total)) if job else None
    return run_batch(batch_id, progress=progress, delete_after=delete_after)


def analyse_school(school_id: int, as_of: str | None = None) -> dict:
    """Look for signals in one school's marks up to ``as_of`` (default: the latest day
    marked, up to today). Running it twice adds nothing the second time."""
    from .weeks import latest_mark_date
    from .signals import analyse_school as analyse

    with current_database().transaction(SYSTEM) as s:
        if as_of is None:
            day = latest_mark_date(s, school_id, london_today())
        else:
            day = dt.date.fromisoformat(as_of)
        if day is None:
            return {"signals": 0}
        return {"signals": len(analyse(s, school_id, day)), "as_of": day.isoformat()}


def nightly_analysis(school_id: int) -> dict:
    """The recurring job: called once per school with the plugin on."""
    return analyse_school(school_id)
