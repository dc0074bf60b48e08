"""Background work: the daily deadline reminders, per school (idempotent: mail and alerts
carry dedupe keys, the automatic chase an idempotency key)."""
from __future__ import annotations

from core.db import SYSTEM, current_database
from core.jobs import for_each_school_with
from plugins.transition import service
from plugins.transition.definition import NAME


def transfer_reminders(school_id: int) -> dict:
    """Remind, flag and chase for one school's transfers."""
    with current_database().transaction(SYSTEM) as s:
        return service.reminders(s, school_id)


def all_schools_reminders() -> list[str]:
    """Enqueue :func:`transfer_reminders` for every school with transition on."""
    return for_each_school_with(NAME, transfer_reminders)
