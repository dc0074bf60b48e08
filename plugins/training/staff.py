"""The adults who work in a school: teachers, support staff, midday supervisors, volunteers,
governors. Most never sign in; those who do are linked to their platform account (by the
same email address) so they can see their own training and sign policies."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import london_today
from core.db import get_in_school, system_scope
from core.errors import NotFound, ValidationError
from core.models import Membership, User
from core.policy import Actor, can, require
from plugins.training.models import JOB_ROLES, SAFEGUARDING_ROLES, StaffMember

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def clean_person(data: dict) -> dict:
    """Check a person's details; raises ``ValidationError`` naming each bad field."""
    errors: dict[str, list[str]] = {}
    name = " ".join((data.get("name") or "").split())
    if not name:
        errors["name"] = ["is required"]
    email = (data.get("email") or "").strip().lower() or None
    if email and not EMAIL_RE.match(email):
        errors["email"] = ["is not an email address"]
    job_role = (data.get("job_role") or "").strip()
    if job_role not in JOB_ROLES:
        errors["job_role"] = [f"must be one of: {', '.join(JOB_ROLES)}"]
    sg = (data.get("safeguarding_role") or "").strip()
    if sg not in SAFEGUARDING_ROLES:
        errors["safeguarding_role"] = ["must be empty, dsl or deputy_dsl"]
    started, left = data.get("started_on"), data.get("left_on")
    for key, value in (("started_on", started), ("left_on", left)):
        if value is not None and not isinstance(value, dt.date):
            errors[key] = ["must be a date"]
    if isinstance(started, dt.date) and isinstance(left, dt.date) and left < started:
        errors["left_on"] = ["is before the start date"]
    if errors:
        raise ValidationError(errors)
    return dict(name=name[:200], email=email, job_role=job_role, safeguarding_role=sg,
                recruits=bool(data.get("recruits")), started_on=started, left_on=left)


def _linked_user(session: Session, school_id: int, email: str | None) -> int | None:
    """The platform account with this email that holds a role in this school, if any."""
    if not email:
        return None
    with system_scope(session, "training: link staff to account"):
        return session.scalar(select(User.id).join(Membership, Membership.user_id == User.id)
                              .where(func.lower(User.email) == email,
                                     Membership.school_id == school_id).limit(1))


def add_person(session: Session, actor: Actor | None, school_id: int, data: dict) -> StaffMember:
    """Add an adult to the school's staff list (``actor`` None: system, e.g. demo data)."""
    if actor is not None:
        require(actor, "training.manage", school_id)
    clean = clean_person(data)
    if clean["email"] and session.scalar(select(StaffMember.id).where(
            StaffMember.school_id == school_id, StaffMember.email == clean["email"])):
        raise ValidationError({"email": ["someone on this school's list already has it"]})
    person = StaffMember(school_id=school_id, user_id=_linked_user(session, school_id,
                                                                    clean["email"]), **clean)
    session.add(person)
    session.flush()
    audit.record(session, "training.person_added", actor=actor, object_type="training_staff",
                 object_id=person.id, school_id=school_id,
                 detail={"job_role": clean["job_role"]})
    return person


def update_person(session: Session, actor: Actor, school_id: int, staff_id: int,
                  data: dict) -> StaffMember:
    """Change someone's details or role, or record that they have left."""
    require(actor, "training.manage", school_id)
    person = get_person(session, actor, school_id, staff_id, audit_read=False)
    clean = clean_person(data)
    if clean["email"] and session.scalar(select(StaffMember.id).where(
            StaffMember.school_id == school_id, StaffMember.email == clean["email"],
            StaffMember.id != staff_id)):
        raise ValidationError({"email": ["someone on this school's list already has it"]})
    for key, value in clean.items():
        setattr(person, key, value)
    person.user_id = _linked_user(session, school_id, clean["email"]) or person.user_id
    session.flush()
    audit.record(session, "training.person_changed", actor=actor, object_type="training_staff",
                 object_id=person.id, school_id=school_id,
                 detail={k: v for k, v in clean.items() if k != "name"})
    return person


def current_staff(session: Session, school_id: int, today: dt.date | None = None
                  ) -> list[StaffMember]:
    """Everyone working in the school on ``today``, by name (no access check: callers do)."""
    today = today or london_today()
    rows = session.scalars(select(StaffMember).where(
        StaffMember.school_id == school_id,
        or_(StaffMember.left_on.is_(None), StaffMember.left_on >= today),
        or_(StaffMember.started_on.is_(None), StaffMember.started_on <= today),
    ).order_by(StaffMember.name, StaffMember.id))
    return list(rows)


def own_person(session: Session, actor: Actor, school_id: int) -> StaffMember | None:
    """The signed-in person's own entry on this school's staff list, if they have one."""
    if actor.user_id is None or not can(actor, "school.view", school_id):
        return None
    person = session.scalar(select(StaffMember).where(StaffMember.school_id == school_id,
                                                      StaffMember.user_id == actor.user_id))
    if person is not None:
        return person
    with system_scope(session, "training: own email"):
        email = session.scalar(select(User.email).where(User.id == actor.user_id))
    return session.scalar(select(StaffMember).where(
        StaffMember.school_id == school_id, StaffMember.email == (email or "").lower(),
        StaffMember.user_id.is_(None))) if email else None


def may_see_person(actor: Actor, school_id: int, person: StaffMember) -> bool:
    """Managers and the trust see everyone's training; staff see only their own."""
    if can(actor, "training.view", school_id):
        return True
    return actor.user_id is not None and person.user_id == actor.user_id and \
        can(actor, "school.view", school_id)


def get_person(session: Session, actor: Actor, school_id: int, staff_id: int,
               audit_read: bool = True) -> StaffMember:
    """One person of this school, or ``NotFound`` (also when the actor may not see them)."""
    person = get_in_school(session, StaffMember, staff_id, school_id, "staff member")
    if not may_see_person(actor, school_id, person):
        own = own_person(session, actor, school_id)
        if own is None or own.id != person.id:
            raise NotFound("staff member")
    if audit_read:
        audit.record(session, "training.person_read", actor=actor, object_type="training_staff",
                     object_id=person.id, school_id=school_id)
    return person
