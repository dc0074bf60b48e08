"""What the key adult and DSL read: the school's inbox, one notification in full, the queue
of children waiting to be matched by hand. Every read of a notification is audited."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.db import find_in_school, get_in_school, system_scope, utcnow
from core.errors import ValidationError
from core.models import Pupil, School, User
from core.policy import Actor, can, require
from core.pupils import search_pupils

from plugins.encompass.fanout import fan_out
from plugins.encompass.intake import effective
from plugins.encompass.matching import dob_relation
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


def unmatched_queue(session: Session, actor: Actor, school_id: int) -> Queue:
    """Children waiting for the DSL to match them by hand (never dropped), each with the
    pupils the matcher found close; anyone else is found with :func:`find_pupil_for_child`."""
    require(actor, "encompass.manage", school_id)
    rows = list(session.execute(select(EncompassChild, EncompassNotification).join(
        EncompassNotification, EncompassNotification.id == EncompassChild.notification_id)
        .where(EncompassChild.school_id == school_id, EncompassChild.match.in_(WAITING))
        .order_by(EncompassNotification.received_at, EncompassChild.id)))
    wanted = {pid for c, _ in rows for pid in c.candidates}
    pupils = {p.id: p for p in session.scalars(select(Pupil).where(Pupil.id.in_(wanted)))}
    audit.record(session, "encompass.unmatched_read", actor=actor, object_type="school",
                 object_id=school_id, school_id=school_id)
    return Queue(rows, pupils)


@dataclass
class Picker:
    """One waiting child and the pupils a DSL may choose from: the matcher's candidates and
    the results of a search of the roll by name, date of birth and year group."""
    child: EncompassChild
    notification: EncompassNotification
    candidates: list[Pupil]
    results: list[Pupil]
    q: str
    date_of_birth: dt.date | None
    year_group: int | None

    @property
    def choices(self) -> list[Pupil]:
        """The candidates first, then the search's results not already among them."""
        seen = {p.id for p in self.candidates}
        return self.candidates + [p for p in self.results if p.id not in seen]

    def dob(self, pupil: Pupil) -> str:
        """How the pupil's date of birth compares with the notification's: ``same``,
        ``swapped`` (day and month), ``unknown`` (none given) or ``different``."""
        return dob_relation(self.child.date_of_birth, pupil.date_of_birth)


def _waiting_child(session: Session, school_id: int, child_id: int) -> EncompassChild:
    child = get_in_school(session, EncompassChild, child_id, school_id, "child")
    return child


def find_pupil_for_child(session: Session, actor: Actor, school_id: int, child_id: int,
                         q: str | None = None, date_of_birth: dt.date | None = None,
                         year_group: int | None = None, limit: int = 30) -> Picker:
    """Search the roll for a child the police named (the DSL team). Names are found as people
    type them (:func:`core.pupils.search_pupils`). With no criteria at all, pupils born on the
    notification's date of birth are listed, or, without one, those with the child's surname.
    A child already matched is returned with no results (the page says so)."""
    require(actor, "encompass.manage", school_id)
    child = _waiting_child(session, school_id, child_id)
    n = session.get(EncompassNotification, child.notification_id)
    if q is None and date_of_birth is None and year_group is None:
        if child.date_of_birth is not None:
            q, date_of_birth = "", child.date_of_birth
        else:
            q = child.last_name
    q = (q or "").strip()
    candidates = list(session.scalars(select(Pupil).where(
        Pupil.id.in_(child.candidates or []), Pupil.school_id == school_id)
        .order_by(Pupil.last_name, Pupil.first_name)))
    results: list[Pupil] = []
    if child.match in WAITING and (q or date_of_birth or year_group is not None):
        results = search_pupils(session, actor, school_id, q, limit=limit,
                                date_of_birth=date_of_birth, year_group=year_group)
    audit.record(session, "encompass.match_search", actor=actor,
                 object_type="encompass_notification", object_id=n.id, school_id=school_id,
                 detail={"child_id": child.id, "found": len(results)})
    return Picker(child, n, candidates, results, q, date_of_birth, year_group)


def _uk(day: dt.date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else "not given"


class DobDiffers(ValidationError):
    """The chosen pupil's date of birth is not the notification's: the DSL must confirm, with
    a reason, before the child is matched. ``relation`` is ``different`` or ``swapped``."""

    def __init__(self, errors: dict, child: EncompassChild, pupil: Pupil, relation: str):
        super().__init__(errors)
        self.child, self.pupil, self.relation = child, pupil, relation


def match_by_hand(session: Session, actor: Actor, school_id: int, child_id: int,
                  pupil_id: int | None, note: str = "", *,
                  confirm_dob: bool = False) -> EncompassChild:
    """The DSL says who a waiting child is (``pupil_id``), or that they are not a pupil of
    the school (``pupil_id`` None, with a note why). A match opens the concern and reaches
    the pupil's family at other schools.

    When the notification gives a date of birth and the pupil's differs, nothing is matched
    until the DSL confirms (``confirm_dob``) with a reason (``note``): :class:`DobDiffers`
    names what is missing. The match is audited with both dates; an override also as
    ``encompass.match_dob_override`` with the reason."""
    require(actor, "encompass.manage", school_id)
    child = _waiting_child(session, school_id, child_id)
    if child.match not in WAITING:
        raise ValidationError({"child_id": ["this child has already been matched"]})
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"note": ["must be at most 500 characters"]})
    relation, p = None, None
    if pupil_id is None:
        if not note:
            raise ValidationError({"note": ["say why this child is not a pupil here"]})
        child.match = "not_a_pupil"
    else:
        p = find_in_school(session, Pupil, pupil_id, school_id)
        if p is None:
            raise ValidationError({"pupil_id": ["choose a pupil of this school"]})
        taken = session.scalar(select(EncompassChild.id).where(
            EncompassChild.notification_id == child.notification_id,
            EncompassChild.pupil_id == pupil_id))
        if taken:
            raise ValidationError({"pupil_id": ["is already a child of this notification"]})
        relation = dob_relation(child.date_of_birth, p.date_of_birth)
        if relation in ("different", "swapped"):
            if not confirm_dob:
                raise DobDiffers({"confirm_dob": [
                    f"{p.display_name} was born on {_uk(p.date_of_birth)}, the notification "
                    f"says {_uk(child.date_of_birth)}: confirm this is the child, with a "
                    "reason"]}, child, p, relation)
            if not note:
                raise DobDiffers({"note": ["say how you know this is the child although the "
                                           "dates of birth differ"]}, child, p, relation)
        child.pupil_id, child.match = pupil_id, "matched"
    child.matched_by_id, child.matched_at = actor.user_id, utcnow()
    n = session.get(EncompassNotification, child.notification_id)
    override = relation in ("different", "swapped")
    label = (f"{child.first_name} {child.last_name} matched by hand" if pupil_id
             else f"{child.first_name} {child.last_name} is not a pupil here")
    if override:
        label += (f" although the dates of birth differ (notification {_uk(child.date_of_birth)},"
                  f" roll {_uk(p.date_of_birth)})")
    session.add(EncompassStep(school_id=school_id, trust_id=n.trust_id, notification_id=n.id,
                              kind="matched", pupil_id=pupil_id, author_id=actor.user_id,
                              body=label + (f": {note}" if note else "")))
    session.flush()
    detail = {"child_id": child.id, "pupil_id": pupil_id,
              "dob_given": child.date_of_birth.isoformat() if child.date_of_birth else None,
              "dob_on_roll": p.date_of_birth.isoformat() if p else None,
              "dob": relation, "dob_override": override}
    audit.record(session, "encompass.child_matched", actor=actor,
                 object_type="encompass_notification", object_id=n.id, school_id=school_id,
                 detail=detail)
    if override:
        audit.record(session, "encompass.match_dob_override", actor=actor,
                     object_type="encompass_notification", object_id=n.id,
                     school_id=school_id, detail={**detail, "reason": note})
    if pupil_id is not None:
        with system_scope(session, "encompass match by hand"):
            open_concern(session, n)
            fan_out(session, n)
    return child
