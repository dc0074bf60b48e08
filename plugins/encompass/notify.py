"""Telling people: in-app alerts for the DSL team and emails to the DSL team and key adults.

Emails say only that something is waiting and where; the police information itself stays
behind the sign-in. Messages are queued in the caller's transaction and sent by the core's
mail job once that transaction commits.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import alerts, mail
from core.models import Membership, School, User

from plugins.encompass.key_adults import active_key_adult_ids
from plugins.encompass.definition import NAME


def recipients(session: Session, school_id: int) -> list[tuple[int, str]]:
    """(user id, email) of the school's DSL, deputies and key adults, each once."""
    ids = set(session.scalars(select(Membership.user_id).where(
        Membership.school_id == school_id, Membership.role.in_(("dsl", "deputy_dsl")))))
    ids |= active_key_adult_ids(session, school_id)
    rows = session.execute(select(User.id, User.email).where(User.id.in_(ids),
                                                             User.active.is_(True)))
    return sorted(tuple(r) for r in rows)


def dsl_recipients(session: Session, school_id: int) -> list[tuple[int, str]]:
    rows = session.execute(select(User.id, User.email).join(
        Membership, Membership.user_id == User.id).where(
        Membership.school_id == school_id, Membership.role.in_(("dsl", "deputy_dsl")),
        User.active.is_(True)))
    return sorted({tuple(r) for r in rows})


def alert_and_mail(session: Session, school_id: int, *, kind: str, key: str, message: str,
                   subject: str, link: str, pupil_id: int | None = None,
                   dsl_only: bool = False) -> bool:
    """Raise one alert for the school (idempotent by ``key``) and email each recipient once.
    Returns whether the alert is new."""
    _, new = alerts.raise_alert(session, school_id, kind, message, dedupe_key=key, plugin=NAME,
                                pupil_id=pupil_id, link=link)
    school = session.get(School, school_id)
    people = dsl_recipients(session, school_id) if dsl_only else recipients(session, school_id)
    for user_id, email in people:
        mail.queue_mail(session, email, f"{subject}: {school.name}",
                        f"{message}\n\nSign in to read it: {link}\n\n"
                        "This email holds no details of the child: they are kept in the "
                        "safeguarding system.", dedupe_key=f"{key}:{user_id}")
    return new
