"""Background work: the overdue check, run for each school with the plugin on."""
from __future__ import annotations

from core.db import SYSTEM, current_database
from plugins.encompass import service


def check_overdue(school_id: int) -> dict:
    """Job: alert the DSL team about notifications past their deadline with no key-adult
    acknowledgement. Idempotent: each notification alerts once."""
    with current_database().transaction(SYSTEM) as s:
        raised = service.check_overdue(s, school_id)
    return {"alerts_raised": raised}

