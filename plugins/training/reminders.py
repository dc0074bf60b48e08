"""Reminders before training runs out: to the person (when they have an email address) and
to their school's DSL. Each reminder is sent once per expiry: the outbox dedupe key names
the person, the course and the due date, so a daily job adds nothing new until someone's
training is renewed and later falls due again."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calendar import london_today
from core.db import system_scope
from core.mail import queue_mail
from core.models import Membership, School, User
from plugins.training.compliance import build_matrix
from plugins.training.validity import DUE, EXPIRED


def school_dsl_emails(session: Session, school_id: int) -> list[tuple[int, str]]:
    """(user id, email) of the school's active designated safeguarding leads."""
    with system_scope(session, "training: DSL addresses"):
        rows = session.execute(select(User.id, User.email).join(
            Membership, Membership.user_id == User.id).where(
            Membership.school_id == school_id, Membership.role == "dsl",
            User.active.is_(True)).order_by(User.id)).all()
    return list(dict.fromkeys(tuple(r) for r in rows))


def _when(state) -> str:
    return f"expired after {state.due_on:%d %B %Y}" if state.status == EXPIRED \
        else f"is due by {state.due_on:%d %B %Y}"


def queue_reminders(session: Session, school_id: int, today: dt.date | None = None) -> dict:
    """Queue the reminders due for one school. Returns how many messages were added now."""
    today = today or london_today()
    school = session.get(School, school_id)
    matrix = build_matrix(session, school_id, today)
    dsls = school_dsl_emails(session, school_id)
    added = 0
    for row in matrix.rows:
        for course in matrix.courses:
            state = row.cells.get(course.id)
            if state is None or state.status not in (DUE, EXPIRED) or state.due_on is None:
                continue
            key = f"training:{school_id}:{row.person.id}:{course.code}:{state.due_on.isoformat()}"
            if row.person.email:
                msg = queue_mail(
                    session, row.person.email,
                    f"Your {course.label} {_when(state)}",
                    f"Dear {row.person.name},\n\nYour {course.label} training at {school.name} "
                    f"{_when(state)} (last completed {state.completed_on:%d %B %Y}).\n"
                    "Please book a place or complete it, and send the certificate to the "
                    "school office.\n", dedupe_key=f"{key}:person")
                added += msg is not None
            for user_id, email in dsls:
                msg = queue_mail(
                    session, email,
                    f"Training: {row.person.name}'s {course.label} {_when(state)}",
                    f"{row.person.name} ({school.name}): {course.label} {_when(state)}.\n"
                    "See the school's training compliance page for everyone due.\n",
                    dedupe_key=f"{key}:dsl:{user_id}")
                added += msg is not None
    return {"school_id": school_id, "queued": added}
