"""Background work: the overdue check, run for each school with the plugin on."""
from __future__ import annotations

from core.db import SYSTEM, current_database


def check_overdue(school_id: int) -> dict:
    """Job: alert the DSL team about notifications past their deadline with no key-adult
    acknowledgement. Idempotent: each notification alerts once."""
    from plugins.encompass.figures import check_overdue as _check

    with current_database().transaction(SYSTEM) as s:
        raised = _check(s, school_id)
    return {"alerts_raised": raised}

