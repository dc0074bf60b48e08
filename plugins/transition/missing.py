"""Children missing education: a pupil taken off roll with no known destination.

The DfE's "Children missing education" guidance (with the pupil registration regulations)
says a school must tell the local authority when it removes a pupil from its admission
register without knowing where the child went, and make reasonable enquiries with the LA
about where they are. The platform reads the notification's deadline as **the leaving date
itself** (the LA is told no later than the day the name comes off the register): that is the
platform's reading, shown with the word "by" and said so in the docs, not a quotation.

A case is opened when core fires ``left`` with ``destination_unknown``; the DSL team records
enquiries and the notification of the LA as append-only events, each audited.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import london_today
from core.db import find_in_school, get_in_school, utcnow
from core.errors import ValidationError
from core.models import Pupil
from core.policy import Actor, require
from plugins.transition.models import MissingEducation, MissingEducationEvent


def notify_by(leaving: dt.date) -> dt.date:
    """When the LA must have been told: the leaving date (the platform's reading)."""
    return leaving


def open_case(session: Session, school_id: int, pupil_id: int, leaving: dt.date,
              reason: str = "") -> MissingEducation | None:
    """Start the steps for a pupil who left with no known destination (one per pupil and
    school: a second call answers the first case)."""
    existing = case_of_pupil(session, school_id, pupil_id)
    if existing is not None:
        return existing
    pupil = find_in_school(session, Pupil, pupil_id, school_id)
    if pupil is None:
        return None
    row = MissingEducation(school_id=school_id, pupil_id=pupil_id,
                           pupil_name=pupil.display_name, year_group=pupil.year_group,
                           leaving_date=leaving, reason=(reason or "")[:200],
                           notify_by=notify_by(leaving))
    session.add(row)
    session.flush()
    audit.record(session, "transition.missing_opened", actor=None, object_type="missing",
                 object_id=row.id, school_id=school_id,
                 detail={"pupil_id": pupil_id, "notify_by": row.notify_by.isoformat()})
    return row


def on_pupil_event(session: Session, school_id: int, pupil_id: int, event: str,
                   data: dict) -> None:
    """``left`` with the destination not known opens a case; other events are not ours."""
    if event == "left" and data.get("destination_unknown"):
        open_case(session, school_id, pupil_id, dt.date.fromisoformat(data["date"]),
                  data.get("reason", ""))


def case_of_pupil(session: Session, school_id: int, pupil_id: int) -> MissingEducation | None:
    return session.scalar(select(MissingEducation).where(
        MissingEducation.school_id == school_id, MissingEducation.pupil_id == pupil_id))


def _get(session: Session, actor: Actor, school_id: int, case_id: int) -> MissingEducation:
    require(actor, "transfer.handle", school_id)
    return get_in_school(session, MissingEducation, case_id, school_id, "case")


def history(session: Session, actor: Actor, school_id: int, case_id: int
            ) -> tuple[MissingEducation, list[MissingEducationEvent]]:
    """A case and its steps, oldest first (the DSL team). Audited."""
    row = _get(session, actor, school_id, case_id)
    events = list(session.scalars(select(MissingEducationEvent).where(
        MissingEducationEvent.missing_id == row.id,
        MissingEducationEvent.school_id == school_id)
        .order_by(MissingEducationEvent.at, MissingEducationEvent.id)))
    audit.record(session, "transition.missing_read", actor=actor, object_type="missing",
                 object_id=row.id, school_id=school_id)
    return row, events


def record_enquiry(session: Session, actor: Actor, school_id: int, case_id: int,
                   note: str) -> MissingEducationEvent:
    """An enquiry about where the child went (who was asked, what they said)."""
    row = _get(session, actor, school_id, case_id)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ["say who you asked and what they said"]})
    if len(note) > 5000:
        raise ValidationError({"note": ["must be at most 5000 characters"]})
    return _add(session, actor, row, "enquiry", note=note)


def record_la_notified(session: Session, actor: Actor, school_id: int, case_id: int, *,
                       notified_on: dt.date | None, la_contact: str,
                       note: str = "") -> MissingEducationEvent:
    """The school told the local authority (on ``notified_on``, to ``la_contact``). Once
    only: the case then leaves the list of notifications due."""
    row = _get(session, actor, school_id, case_id)
    errors: dict[str, list[str]] = {}
    if row.la_notified_at is not None:
        errors["case"] = ["the local authority has already been recorded as notified"]
    if not isinstance(notified_on, dt.date):
        errors["notified_on"] = ["give the date the local authority was told"]
    elif notified_on > london_today():
        errors["notified_on"] = ["cannot be in the future"]
    elif notified_on < row.leaving_date - dt.timedelta(days=92):
        errors["notified_on"] = ["is long before the pupil left: check the date"]
    la_contact = (la_contact or "").strip()
    if not la_contact:
        errors["la_contact"] = ["name the local authority team or officer you told"]
    elif len(la_contact) > 200:
        errors["la_contact"] = ["must be at most 200 characters"]
    if len((note or "").strip()) > 5000:
        errors["note"] = ["must be at most 5000 characters"]
    if errors:
        raise ValidationError(errors)
    ev = _add(session, actor, row, "la_notified", note=(note or "").strip(),
              notified_on=notified_on, la_contact=la_contact)
    row.la_notified_at = ev.at
    session.flush()
    return ev


def _add(session: Session, actor: Actor, row: MissingEducation, kind: str,
         **fields) -> MissingEducationEvent:
    ev = MissingEducationEvent(school_id=row.school_id, trust_id=row.trust_id,
                               missing_id=row.id, kind=kind, at=utcnow(),
                               user_id=actor.user_id, user_name=(actor.name or "")[:200],
                               **fields)
    session.add(ev)
    session.flush()
    detail = {"kind": kind}
    if fields.get("notified_on"):
        detail["notified_on"] = fields["notified_on"].isoformat()
    audit.record(session, f"transition.missing_{kind}", actor=actor, object_type="missing",
                 object_id=row.id, school_id=row.school_id, detail=detail)
    return ev


def outstanding(session: Session, school_id: int) -> list[MissingEducation]:
    """Cases whose LA notification is not yet recorded, earliest deadline first."""
    return list(session.scalars(select(MissingEducation).where(
        MissingEducation.school_id == school_id, MissingEducation.la_notified_at.is_(None))
        .order_by(MissingEducation.notify_by, MissingEducation.id)))


def all_cases(session: Session, school_id: int) -> list[MissingEducation]:
    """Every case of the school, newest leaving first."""
    return list(session.scalars(select(MissingEducation).where(
        MissingEducation.school_id == school_id)
        .order_by(MissingEducation.leaving_date.desc(), MissingEducation.id.desc())))
