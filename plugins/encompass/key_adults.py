"""The school's key adults: the named staff who respond to a police notification before the
next school day. The DSL team keeps the list (``encompass.manage``); being on it is what the
``encompass.read`` object check in :mod:`plugins.encompass.definition` asks."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.db import get_in_school, utcnow
from core.errors import NotFound, ValidationError
from core.models import Membership, User
from core.policy import Actor, require

from plugins.encompass.models import KeyAdult


def active_key_adult_ids(session: Session, school_id: int) -> set[int]:
    """The users who are key adults of the school now."""
    return set(session.scalars(select(KeyAdult.user_id).where(
        KeyAdult.school_id == school_id, KeyAdult.removed_at.is_(None))))


def is_key_adult(session: Session, actor: Actor, school_id: int, obj: object = None) -> bool:
    """A key adult still holding a role in the school (the policy has already asked for the
    second factor: the notifications are police information about a child)."""
    if actor.user_id is None or not actor.roles_in(school_id):
        return False
    return actor.user_id in active_key_adult_ids(session, school_id)


def list_key_adults(session: Session, actor: Actor, school_id: int) -> list[tuple[KeyAdult, User]]:
    """The current key adults (DSL team only)."""
    require(actor, "encompass.manage", school_id)
    return list(session.execute(select(KeyAdult, User).join(User, User.id == KeyAdult.user_id)
                                .where(KeyAdult.school_id == school_id,
                                       KeyAdult.removed_at.is_(None))
                                .order_by(User.name)))


def eligible_staff(session: Session, actor: Actor, school_id: int) -> list[User]:
    """People with a role in the school who could be made key adults."""
    require(actor, "encompass.manage", school_id)
    current = active_key_adult_ids(session, school_id)
    users = session.scalars(select(User).join(Membership, Membership.user_id == User.id)
                            .where(Membership.school_id == school_id, User.active.is_(True))
                            .order_by(User.name)).unique()
    return [u for u in users if u.id not in current]


def add_key_adult(session: Session, actor: Actor, school_id: int, user_id: int) -> KeyAdult:
    """Make a member of the school's staff a key adult (DSL team only; audited)."""
    require(actor, "encompass.manage", school_id)
    member = session.scalar(select(Membership.id).where(Membership.user_id == user_id,
                                                        Membership.school_id == school_id))
    if member is None:
        raise ValidationError({"user_id": ["choose a member of this school's staff"]})
    if user_id in active_key_adult_ids(session, school_id):
        raise ValidationError({"user_id": ["is already a key adult"]})
    row = KeyAdult(school_id=school_id, user_id=user_id, added_by_id=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, "encompass.key_adult_added", actor=actor, object_type="user",
                 object_id=user_id, school_id=school_id)
    return row


def remove_key_adult(session: Session, actor: Actor, school_id: int, key_adult_id: int) -> None:
    """Stop someone being a key adult; the record of when they were one is kept."""
    require(actor, "encompass.manage", school_id)
    row = get_in_school(session, KeyAdult, key_adult_id, school_id, "key adult")
    if row.removed_at is not None:
        raise NotFound("key adult")
    row.removed_at, row.removed_by_id = utcnow(), actor.user_id
    session.flush()
    audit.record(session, "encompass.key_adult_removed", actor=actor, object_type="user",
                 object_id=row.user_id, school_id=school_id)
