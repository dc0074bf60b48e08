"""Read-and-sign: staff acknowledge that they have read a named version of a policy.

Publishing a new version of a policy (same title, new version) supersedes the old one, and
everyone is asked again: signatures belong to one version and never carry over.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import london_today
from core.db import find_in_school, get_in_school, utcnow
from core.errors import NotFound, ValidationError
from core.policy import Actor, can, require
from plugins.training.models import Acknowledgement, Policy, StaffMember
from plugins.training.staff import current_staff, own_person


def publish(session: Session, actor: Actor | None, school_id: int, title: str, version: str,
            summary: str = "", published_on: dt.date | None = None) -> Policy:
    """Publish a policy version for staff to read and sign; earlier versions of the same
    title are superseded."""
    if actor is not None:
        require(actor, "training.manage", school_id)
    title, version = " ".join((title or "").split()), (version or "").strip()
    errors = {}
    if not title:
        errors["title"] = ["is required"]
    if not version:
        errors["version"] = ["is required (for example 2025 or v3)"]
    if errors:
        raise ValidationError(errors)
    if session.scalar(select(Policy.id).where(Policy.school_id == school_id,
                                              Policy.title == title, Policy.version == version)):
        raise ValidationError({"version": [f"{title} {version} is already published"]})
    for old in session.scalars(select(Policy).where(Policy.school_id == school_id,
                                                    Policy.title == title,
                                                    Policy.superseded_at.is_(None))):
        old.superseded_at = utcnow()
    policy = Policy(school_id=school_id, title=title[:200], version=version[:60],
                    summary=(summary or "").strip(), published_on=published_on or london_today(),
                    published_by_id=actor.user_id if actor else None)
    session.add(policy)
    session.flush()
    audit.record(session, "training.policy_published", actor=actor, object_type="training_policy",
                 object_id=policy.id, school_id=school_id,
                 detail={"title": title, "version": version})
    return policy


def current_policies(session: Session, school_id: int) -> list[Policy]:
    """The versions in force (not superseded), by title."""
    return list(session.scalars(select(Policy).where(Policy.school_id == school_id,
                                                     Policy.superseded_at.is_(None))
                                .order_by(Policy.title)))


def get_policy(session: Session, school_id: int, policy_id: int) -> Policy:
    """A policy version of this school, or ``NotFound``."""
    return get_in_school(session, Policy, policy_id, school_id, "policy")


def _sign(session: Session, actor: Actor | None, school_id: int, policy: Policy,
          person: StaffMember, on_paper: bool) -> Acknowledgement:
    if policy.superseded_at is not None:
        raise ValidationError({"policy": [f"{policy.title} {policy.version} has been replaced "
                                          "by a newer version: sign that one"]})
    existing = session.scalar(select(Acknowledgement).where(
        Acknowledgement.policy_id == policy.id, Acknowledgement.staff_id == person.id))
    if existing is not None:
        return existing
    ack = Acknowledgement(school_id=school_id, policy_id=policy.id, staff_id=person.id,
                          recorded_by_id=actor.user_id if actor else None, on_paper=on_paper)
    session.add(ack)
    session.flush()
    audit.record(session, "training.policy_signed", actor=actor, object_type="training_policy",
                 object_id=policy.id, school_id=school_id,
                 detail={"staff_id": person.id, "on_paper": on_paper})
    return ack


def sign_own(session: Session, actor: Actor, school_id: int, policy_id: int) -> Acknowledgement:
    """The signed-in person confirms they have read this policy version. Signing twice
    keeps the first signature."""
    person = own_person(session, actor, school_id)
    if person is None:
        raise NotFound("staff member")
    if person.user_id is None:
        person.user_id = actor.user_id  # found by email: link the account from now on
    return _sign(session, actor, school_id, get_policy(session, school_id, policy_id), person,
                 on_paper=False)


def record_paper_signature(session: Session, actor: Actor | None, school_id: int,
                           policy_id: int, staff_id: int) -> Acknowledgement:
    """A manager records a signature given on paper (midday supervisors, volunteers and
    governors who do not sign in)."""
    if actor is not None:
        require(actor, "training.manage", school_id)
    person = find_in_school(session, StaffMember, staff_id, school_id)
    if person is None:
        raise ValidationError({"staff_id": ["no such person in this school"]})
    return _sign(session, actor, school_id, get_policy(session, school_id, policy_id), person,
                 on_paper=True)


@dataclass
class PolicyStatus:
    policy: Policy
    signed: list[tuple[StaffMember, Acknowledgement]]
    unsigned: list[StaffMember]

    @property
    def pct(self) -> float | None:
        total = len(self.signed) + len(self.unsigned)
        return round(100 * len(self.signed) / total, 1) if total else None


def policy_status(session: Session, actor: Actor, school_id: int, policy_id: int,
                  today: dt.date | None = None) -> PolicyStatus:
    """Who among the current staff has signed this version, and who has not yet."""
    require(actor, "training.view", school_id)
    policy = get_policy(session, school_id, policy_id)
    acks = {a.staff_id: a for a in session.scalars(select(Acknowledgement).where(
        Acknowledgement.policy_id == policy.id, Acknowledgement.school_id == school_id))}
    signed, unsigned = [], []
    for person in current_staff(session, school_id, today):
        (signed.append((person, acks[person.id])) if person.id in acks
         else unsigned.append(person))
    return PolicyStatus(policy, signed, unsigned)


def to_sign(session: Session, actor: Actor, school_id: int) -> list[tuple[Policy, bool]]:
    """The current policies with whether the signed-in person has signed each version."""
    if not can(actor, "school.view", school_id):
        raise NotFound("school")
    person = own_person(session, actor, school_id)
    signed = set() if person is None else set(session.scalars(select(
        Acknowledgement.policy_id).where(Acknowledgement.staff_id == person.id,
                                         Acknowledgement.school_id == school_id)))
    return [(p, p.id in signed) for p in current_policies(session, school_id)]
