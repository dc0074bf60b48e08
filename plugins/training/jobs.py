"""Background work of the training plugin (module-level functions taking ids; idempotent)."""
from __future__ import annotations

import datetime as dt

from core.db import SYSTEM, current_database
from plugins.training import service


def send_reminders(school_id: int, today: str | None = None) -> dict:
    """Queue one school's training reminders and send the outbox. Safe to run twice: each
    reminder is queued once per expiry (see :func:`plugins.training.service.queue_reminders`)."""
    day = dt.date.fromisoformat(today) if today else None
    with current_database().transaction(SYSTEM) as s:
        return service.queue_reminders(s, school_id, day)  # the outbox is sent once this commits
