"""What the key adult and DSL read: the school's inbox, one notification in full, the queue
of children waiting to be matched by hand. Every read of a notification is audited."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.db import system_scope, utcnow
from core.errors import NotFound, ValidationError
from core.models import Pupil, School, User
from core.policy import Actor, can, require

from plugins.encompass.fanout import fan_out
from plugins.encompass.intake import effective
from plugins.encompass.models import (EncompassChild, EncompassDocument, EncompassNotification,
                                      EncompassStep, EncompassUpdate)
from plugins.encompass.response import acknowledged_at, get_notification, status_of, steps_of
from plugins.encompass.triage import open_concern

WAITING = ("ambiguous", "unmatched")


@dataclass
class InboxRow:
    id: int
    received_at: dt.datetime
    due_at: dt.datetime | None
    incident_date: dt.date
    force: str | None
    children: list[str]
    status: str
    unmatched: int
    linked: bool


def _children(session: Session, ids: list[int]) -> dict[int, list[EncompassChild]]:
    out: dict[int, list[EncompassChild]] = {i: [] for i in ids}
    for c in session.scalars(select(EncompassChild).where(
            EncompassChild.notification_id.in_(ids)).order_by(EncompassChild.id)):
        out[c.notification_id].append(c)
    return out


def inbox(session: Session, actor: Actor, school_id: int, status: str | None = None,
          now: dt.datetime | None = None) -> list[InboxRow]:
    """The school's notifications, newest first, optionally of one status."""
    require(actor, "encompass.read", school_id, session=session)
    ns = list(session.scalars(select(EncompassNotification).where(
        EncompassNotification.school_id == school_id)
        .order_by(EncompassNotification.received_at.desc()).limit(500)))
    ids = [n.id for n in ns]
    kids = _children(session, ids)
    steps: dict[int, list[EncompassStep]] = {i: [] for i in ids}
    for s in session.scalars(select(EncompassStep).where(EncompassStep.notification_id.in_(ids))
                             .order_by(EncompassStep.at, EncompassStep.id)):
        steps[s.notification_id].append(s)
    rows = [InboxRow(n.id, n.received_at, n.due_at, n.incident_date, n.force,
                     [f"{c.first_name} {c.last_name}" for c in kids[n.id]],
                     status_of(n, steps[n.id], now),
                     sum(1 for c in kids[n.id] if c.match in WAITING), n.linked_from_id is not None)
            for n in ns]
    audit.record(session, "encompass.inbox_read", actor=actor, object_type="school",
                 object_id=school_id, school_id=school_id, detail={"status": status})
    return [r for r in rows if status is None or r.status == status]


@dataclass
class NotificationView:
    notification: EncompassNotification
    details: dict
    children: list[EncompassChild]
    pupils: dict[int, Pupil]
    candidates: dict[int, list[Pupil]]
    updates: list[EncompassUpdate]
    steps: list[EncompassStep]
    documents: list[EncompassDocument]
    status: str
    authors: dict[int, str]
    can_review: bool
    origin_school: str | None
    linked_schools: list[str]
    acknowledged_at: dt.datetime | None = None

    @property
    def hours_to_acknowledge(self) -> float | None:
        """Hours from receipt to the first acknowledgement (what the trust measures)."""
        if self.acknowledged_at is None:
            return None
        return round((self.acknowledged_at - self.notification.received_at).total_seconds()
                     / 3600, 1)

    @property
    def acknowledged_on_time(self) -> bool | None:
        n = self.notification
        if self.acknowledged_at is None or n.due_at is None:
            return None
        return self.acknowledged_at <= n.due_at


def read_notification(session: Session, actor: Actor, school_id: int,
                      notification_id: int) -> NotificationView:
    """A notification in full for its readers (DSL team, key adults). Audited."""
    n = get_notification(session, actor, school_id, notification_id)
    children = list(session.scalars(select(EncompassChild).where(
        EncompassChild.notification_id == n.id).order_by(EncompassChild.named.desc(),
                                                         EncompassChild.id)))
    wanted = {c.pupil_id for c in children if c.pupil_id} | {
        pid for c in children if c.match in WAITING for pid in c.candidates}
    pupils = {p.id: p for p in session.scalars(select(Pupil).where(Pupil.id.in_(wanted)))}
    candidates = {c.id: [pupils[p] for p in c.candidates if p in pupils]
                  for c in children if c.match in WAITING}
    updates = list(session.scalars(select(EncompassUpdate).where(
        EncompassUpdate.notification_id == n.id).order_by(EncompassUpdate.received_at)))
    steps = steps_of(session, n.id)
    docs = list(session.scalars(select(EncompassDocument).where(
        EncompassDocument.notification_id == n.id)))
    authors = dict(session.execute(select(User.id, User.name).where(
        User.id.in_({s.author_id for s in steps if s.author_id}))).all())
    with system_scope(session, "encompass linked school names"):
        origin = None
        if n.linked_from_id:
            src = session.get(EncompassNotification, n.linked_from_id)
            origin = session.get(School, src.school_id).name if src else None
        linked = [session.get(School, sid).name for sid in session.scalars(
            select(EncompassNotification.school_id).where(
                EncompassNotification.group_key == n.group_key,
                EncompassNotification.school_id != school_id))]
    audit.record(session, "encompass.notification_read", actor=actor,
                 object_type="encompass_notification", object_id=n.id, school_id=school_id)
    return NotificationView(n, effective(n, updates), children, pupils, candidates, updates,
                            steps, docs, status_of(n, steps), authors, can(actor, "encompass.manage", school_id),
                            origin, sorted(set(linked)), acknowledged_at(steps))


@dataclass
class Queue:
    rows: list[tuple[EncompassChild, EncompassNotification]]
    pupils: dict[int, Pupil]  # the candidates named in rows
    roll: list[Pupil]  # everyone on roll, to choose from when no candidate is close


def unmatched_queue(session: Session, actor: Actor, school_id: int) -> Queue:
    """Children waiting for the DSL to match them by hand (never dropped)."""
    require(actor, "encompass.manage", school_id)
    rows = list(session.execute(select(EncompassChild, EncompassNotification).join(
        EncompassNotification, EncompassNotification.id == EncompassChild.notification_id)
        .where(EncompassChild.school_id == school_id, EncompassChild.match.in_(WAITING))
        .order_by(EncompassNotification.received_at)))
    wanted = {pid for c, _ in rows for pid in c.candidates}
    pupils = {p.id: p for p in session.scalars(select(Pupil).where(Pupil.id.in_(wanted)))}
    roll = list(session.scalars(select(Pupil).where(
        Pupil.school_id == school_id, Pupil.on_roll_to.is_(None))
        .order_by(Pupil.last_name, Pupil.first_name))) if rows else []
    audit.record(session, "encompass.unmatched_read", actor=actor, object_type="school",
                 object_id=school_id, school_id=school_id)
    return Queue(rows, pupils, roll)


def match_by_hand(session: Session, actor: Actor, school_id: int, child_id: int,
                  pupil_id: int | None, note: str = "") -> EncompassChild:
    """The DSL says who a waiting child is (``pupil_id``), or that they are not a pupil of
    the school (``pupil_id`` None, with a note why). A match opens the concern and reaches
    the pupil's family at other schools."""
    require(actor, "encompass.manage", school_id)
    child = session.get(EncompassChild, child_id)
    if child is None or child.school_id != school_id:
        raise NotFound("child")
    if child.match not in WAITING:
        raise ValidationError({"child_id": ["this child has already been matched"]})
    note = (note or "").strip()
    if pupil_id is None:
        if not note:
            raise ValidationError({"note": ["say why this child is not a pupil here"]})
        child.match = "not_a_pupil"
    else:
        p = session.get(Pupil, pupil_id)
        if p is None or p.school_id != school_id:
            raise ValidationError({"pupil_id": ["choose a pupil of this school"]})
        taken = session.scalar(select(EncompassChild.id).where(
            EncompassChild.notification_id == child.notification_id,
            EncompassChild.pupil_id == pupil_id))
        if taken:
            raise ValidationError({"pupil_id": ["is already a child of this notification"]})
        child.pupil_id, child.match = pupil_id, "matched"
    child.matched_by_id, child.matched_at = actor.user_id, utcnow()
    n = session.get(EncompassNotification, child.notification_id)
    label = (f"{child.first_name} {child.last_name} matched by hand" if pupil_id
             else f"{child.first_name} {child.last_name} is not a pupil here")
    session.add(EncompassStep(school_id=school_id, trust_id=n.trust_id, notification_id=n.id,
                              kind="matched", pupil_id=pupil_id, author_id=actor.user_id,
                              body=label + (f": {note}" if note else "")))
    session.flush()
    audit.record(session, "encompass.child_matched", actor=actor,
                 object_type="encompass_notification", object_id=n.id, school_id=school_id,
                 detail={"child_id": child.id, "pupil_id": pupil_id})
    if pupil_id is not None:
        with system_scope(session, "encompass match by hand"):
            open_concern(session, n)
            fan_out(session, n)
    return child

