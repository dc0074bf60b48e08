"""The response to a notification, step by step: the key adult has seen it, the support
given, follow-ups, the DSL's review and closure. Every step is a new row (nothing is
edited) and appears in each child's chronology."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import alerts, audit
from core.db import utcnow
from core.errors import NotFound, ValidationError
from core.policy import Actor, can, require

from plugins.encompass.models import EncompassChild, EncompassNotification, EncompassStep

SUPPORT = {
    "check_in": "A check-in with the child",
    "quiet_space": "A quiet space offered",
    "trusted_adult": "Time with a trusted adult",
    "other": "Other support",
}
KEY_ADULT_STEPS = ("acknowledged", "support", "follow_up")
DSL_STEPS = ("dsl_review", "closed", "reopened")
STEP_LABELS = {
    "received": "Notification received", "updated": "Later version received",
    "matched": "Child matched to the roll", "acknowledged": "Seen by the key adult",
    "support": "Support given", "follow_up": "Follow-up", "dsl_review": "Reviewed by the DSL",
    "closed": "Closed", "reopened": "Reopened",
}
STATUS_LABELS = {
    "new": "New", "overdue": "Overdue", "awaiting_key_adult": "Awaiting key adult",
    "awaiting_review": "Awaiting DSL review", "closed": "Closed",
}


def steps_of(session: Session, notification_id: int) -> list[EncompassStep]:
    return list(session.scalars(select(EncompassStep).where(
        EncompassStep.notification_id == notification_id)
        .order_by(EncompassStep.at, EncompassStep.id)))


def status_of(n: EncompassNotification, steps: list[EncompassStep],
              now: dt.datetime | None = None) -> str:
    """``new`` and ``overdue`` until someone acknowledges (overdue once past the deadline),
    ``awaiting_key_adult`` until support is recorded, ``awaiting_review`` until the DSL
    closes it, ``closed`` (unless reopened)."""
    now = now or utcnow()
    closed = False
    for s in steps:
        if s.kind == "closed":
            closed = True
        elif s.kind == "reopened":
            closed = False
    if closed:
        return "closed"
    kinds = {s.kind for s in steps}
    if "acknowledged" not in kinds:
        return "overdue" if n.due_at is not None and now > n.due_at else "new"
    if "support" not in kinds:
        return "awaiting_key_adult"
    return "awaiting_review"


def acknowledged_at(steps: list[EncompassStep]) -> dt.datetime | None:
    """When the notification was first acknowledged, or ``None``."""
    times = [s.at for s in steps if s.kind == "acknowledged"]
    return min(times) if times else None


def get_notification(session: Session, actor: Actor, school_id: int,
                     notification_id: int) -> EncompassNotification:
    """The notification if ``actor`` may read it; 404 otherwise (whether or not it exists)."""
    require(actor, "encompass.read", school_id, session=session)
    n = session.get(EncompassNotification, notification_id)
    if n is None or n.school_id != school_id:
        raise NotFound("notification")
    return n


def add_step(session: Session, actor: Actor, school_id: int, notification_id: int, kind: str, *,
             body: str = "", support: list[str] | None = None,
             pupil_id: int | None = None, at: dt.datetime | None = None) -> EncompassStep:
    """Record a step. Key adults and the DSL team acknowledge, record support and
    follow-ups; only the DSL team review, close and reopen. ``at`` only for history brought
    in (demo data)."""
    n = get_notification(session, actor, school_id, notification_id)
    steps = steps_of(session, n.id)
    status = status_of(n, steps)
    body = (body or "").strip()
    support = list(dict.fromkeys(support or []))
    errors: dict[str, list[str]] = {}
    if kind not in KEY_ADULT_STEPS + DSL_STEPS:
        raise ValidationError({"kind": [f"one of {', '.join(KEY_ADULT_STEPS + DSL_STEPS)}"]})
    if kind in DSL_STEPS and not can(actor, "encompass.manage", school_id):
        raise NotFound("notification")  # a key adult never sees these actions
    if status == "closed" and kind != "reopened":
        errors["kind"] = ["this notification is closed: the DSL must reopen it first"]
    if kind == "reopened" and status != "closed":
        errors["kind"] = ["only a closed notification can be reopened"]
    if kind == "acknowledged" and any(s.kind == "acknowledged" and s.author_id == actor.user_id
                                      for s in steps):
        errors["kind"] = ["you have already recorded that you have seen it"]
    if kind == "support":
        if not support:
            errors["support"] = ["choose the support given"]
        elif bad := [s for s in support if s not in SUPPORT]:
            errors["support"] = [f"unknown support {b!r}" for b in bad]
        elif "other" in support and not body:
            errors["body"] = ["say what the other support was"]
    elif support:
        errors["support"] = ["is only given when recording support"]
    if kind in ("follow_up", "dsl_review", "closed", "reopened") and not body:
        errors["body"] = ["is required for this step"]
    if len(body) > 5000:
        errors["body"] = ["must be at most 5000 characters"]
    if pupil_id is not None:
        ids = set(session.scalars(select(EncompassChild.pupil_id).where(
            EncompassChild.notification_id == n.id)))
        if pupil_id not in ids:
            errors["pupil_id"] = ["choose a child of this notification"]
    if errors:
        raise ValidationError(errors)
    step = EncompassStep(school_id=school_id, trust_id=n.trust_id, notification_id=n.id,
                         kind=kind, pupil_id=pupil_id, author_id=actor.user_id, body=body,
                         support=support, at=at or utcnow())
    session.add(step)
    session.flush()
    audit.record(session, f"encompass.{kind}", actor=actor, object_type="encompass_notification",
                 object_id=n.id, school_id=school_id, detail={"step_id": step.id})
    if kind == "acknowledged":
        alerts.resolve(session, school_id, f"encompass:overdue:{n.id}")
    return step
