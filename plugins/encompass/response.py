"""The response to a notification, step by step: the key adult has seen it, the support
given, follow-ups, the DSL's review and closure. Every step is a new row (nothing is
edited) and appears in each child's chronology."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import alerts, audit
from core.db import get_in_school, utcnow
from core.entrylog import Draft, EntryLog, EntryRule, Errors, Field
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
    n = get_in_school(session, EncompassNotification, notification_id, school_id, "notification")
    return n


def _acknowledged_once(draft: Draft) -> Errors | None:
    if any(s.kind == "acknowledged" and s.author_id == draft.actor.user_id
           for s in draft.entries):
        return {"kind": ["you have already recorded that you have seen it"]}
    return None


def _known_support(draft: Draft, support: list[str]) -> list[str] | None:
    if bad := [s for s in support if s not in SUPPORT]:
        return [f"unknown support {b!r}" for b in bad]
    return None


def _other_support_said(draft: Draft) -> Errors | None:
    if "other" in (draft.values.get("support") or []) and not draft.body:
        return {"body": ["say what the other support was"]}
    return None


def _child_of_notification(draft: Draft, pupil_id: int) -> list[str] | None:
    ids = set(draft.session.scalars(select(EncompassChild.pupil_id).where(
        EncompassChild.notification_id == draft.parent.id)))
    return None if pupil_id in ids else ["choose a child of this notification"]


def _overdue_alert_resolved(draft: Draft, step: EncompassStep) -> None:
    alerts.resolve(draft.session, draft.parent.school_id, f"encompass:overdue:{draft.parent.id}")


_CLOSED = {"refused_in": ("closed",),
           "refused_message": "this notification is closed: the DSL must reopen it first"}
_STEP = {"takes": ("pupil_id",), "body_message": "is required for this step"}

#: The steps of a response, one rule per kind (see :mod:`core.entrylog`). The first three are
#: the key adult's (``KEY_ADULT_STEPS``); the others need ``encompass.manage``.
STEPS = EntryLog("encompass steps", [
    EntryRule("acknowledged", STEP_LABELS["acknowledged"], **_CLOSED, **_STEP,
              checks=(_acknowledged_once,), after=_overdue_alert_resolved),
    EntryRule("support", STEP_LABELS["support"], **_CLOSED, takes=("pupil_id",),
              requires=("support",), checks=(_other_support_said,)),
    EntryRule("follow_up", STEP_LABELS["follow_up"], body=True, **_CLOSED, **_STEP),
    EntryRule("dsl_review", STEP_LABELS["dsl_review"], body=True, **_CLOSED, **_STEP),
    EntryRule("closed", STEP_LABELS["closed"], body=True, **_CLOSED, **_STEP),
    EntryRule("reopened", STEP_LABELS["reopened"], body=True, allowed_in=("closed",),
              refused_message="only a closed notification can be reopened", **_STEP),
], fields=[
    Field("support", check=_known_support, required_message="choose the support given",
          stray_message="is only given when recording support"),
    Field("pupil_id", check=_child_of_notification),
], max_body=5000, audit_prefix="encompass", object_type="encompass_notification",
    id_key="step_id")
assert STEPS.kinds == KEY_ADULT_STEPS + DSL_STEPS


def add_step(session: Session, actor: Actor, school_id: int, notification_id: int, kind: str, *,
             body: str = "", support: list[str] | None = None,
             pupil_id: int | None = None, at: dt.datetime | None = None) -> EncompassStep:
    """Record a step. Key adults and the DSL team acknowledge, record support and
    follow-ups; only the DSL team review, close and reopen (anyone else is told the
    notification does not exist). What each step needs is its rule in :data:`STEPS`. ``at``
    only for history brought in (demo data)."""
    n = get_notification(session, actor, school_id, notification_id)
    STEPS.rule(kind)
    if kind in DSL_STEPS and not can(actor, "encompass.manage", school_id):
        raise NotFound("notification")  # a key adult never sees these actions
    steps = steps_of(session, n.id)
    draft = Draft(kind, (body or "").strip(),
                  {"support": list(dict.fromkeys(support or [])), "pupil_id": pupil_id},
                  steps, status_of(n, steps), session, actor, n)
    kept = STEPS.check(draft)
    step = EncompassStep(school_id=school_id, trust_id=n.trust_id, notification_id=n.id,
                         kind=kind, pupil_id=kept.get("pupil_id"), author_id=actor.user_id,
                         body=draft.body, support=kept.get("support", []), at=at or utcnow())
    return STEPS.append(draft, step, object_id=n.id, school_id=school_id)
