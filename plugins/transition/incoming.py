"""Files awaited from schools not on the platform: the DSL records the pupil's previous school,
chases the file, and records it when it comes (on paper, or by secure email with the
attachment). Until then the pupil is on the "no file yet" list."""
from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.concerns import ALLOWED_TYPES
from core.filetypes import content_problem
from core.db import find_in_school, get_in_school, utcnow
from core.errors import NotFound, ValidationError
from core.models import Pupil
from core.policy import Actor, require
from plugins.transition.models import IncomingEvent, IncomingFile

METHODS = {"paper": "On paper (by hand or post)", "secure_email": "By secure email"}
MAX_BYTES = 10 * 1024 * 1024


def expect(session: Session, actor: Actor, school_id: int, pupil_id: int, previous_school: str,
           previous_urn: str | None = None) -> IncomingFile:
    """Put a new pupil on the "no file yet" list (once per pupil)."""
    require(actor, "transfer.handle", school_id)
    errors: dict[str, list[str]] = {}
    if find_in_school(session, Pupil, pupil_id, school_id) is None:
        errors["pupil_id"] = ["choose a pupil on this school's roll"]
    if not (previous_school or "").strip():
        errors["previous_school"] = ["name the previous school"]
    previous_urn = (previous_urn or "").strip() or None
    if previous_urn and not (len(previous_urn) == 6 and previous_urn.isdigit()):
        errors["previous_urn"] = ["must be a 6-digit URN (or left empty)"]
    if errors:
        raise ValidationError(errors)
    existing = session.scalar(select(IncomingFile).where(IncomingFile.school_id == school_id,
                                                         IncomingFile.pupil_id == pupil_id))
    if existing is not None:
        return existing
    row = IncomingFile(school_id=school_id, pupil_id=pupil_id,
                       previous_school=previous_school.strip()[:200], previous_urn=previous_urn,
                       created_by_id=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, "transition.incoming_expected", actor=actor, object_type="incoming",
                 object_id=row.id, school_id=school_id, detail={"pupil_id": pupil_id})
    return row


def _get(session: Session, actor: Actor, school_id: int, incoming_id: int) -> IncomingFile:
    require(actor, "transfer.handle", school_id)
    return get_in_school(session, IncomingFile, incoming_id, school_id, "incoming file")


def chase(session: Session, actor: Actor, school_id: int, incoming_id: int,
          note: str) -> IncomingEvent:
    """Record a chase (who was contacted, how)."""
    row = _get(session, actor, school_id, incoming_id)
    if row.received_at is not None:
        raise ValidationError({"incoming": ["this file has already been received"]})
    if not (note or "").strip():
        raise ValidationError({"note": ["say who you contacted and how"]})
    ev = IncomingEvent(school_id=school_id, trust_id=row.trust_id, incoming_id=row.id,
                       kind="chased", note=note.strip(), user_id=actor.user_id)
    session.add(ev)
    session.flush()
    audit.record(session, "transition.incoming_chased", actor=actor, object_type="incoming",
                 object_id=row.id, school_id=school_id)
    return ev


def record_received(session: Session, actor: Actor, school_id: int, incoming_id: int, *,
                    method: str, note: str = "", filename: str | None = None,
                    content_type: str | None = None, data: bytes | None = None
                    ) -> IncomingEvent:
    """Record the file's arrival; a secure email's attachment is kept with it."""
    row = _get(session, actor, school_id, incoming_id)
    errors: dict[str, list[str]] = {}
    if row.received_at is not None:
        errors["incoming"] = ["this file has already been received"]
    if method not in METHODS:
        errors["method"] = [f"one of {', '.join(METHODS)}"]
    if data:
        if content_type not in ALLOWED_TYPES:
            errors["attachment"] = ["must be a PDF, Word document, image or text file"]
        elif problem := content_problem(content_type, data):
            errors["attachment"] = [problem]
        elif len(data) > MAX_BYTES:
            errors["attachment"] = ["must be at most 10 MB"]
    elif method == "secure_email":
        errors["attachment"] = ["attach the file that came by secure email"]
    if errors:
        raise ValidationError(errors)
    now = utcnow()
    ev = IncomingEvent(school_id=school_id, trust_id=row.trust_id, incoming_id=row.id,
                       kind="received", method=method, note=(note or "").strip(), at=now,
                       user_id=actor.user_id, filename=(filename or "")[:255] or None,
                       content_type=content_type if data else None,
                       size=len(data) if data else None,
                       sha256=hashlib.sha256(data).hexdigest() if data else None,
                       data=data or None)
    session.add(ev)
    row.received_at = now
    session.flush()
    audit.record(session, "transition.incoming_received", actor=actor, object_type="incoming",
                 object_id=row.id, school_id=school_id, detail={"method": method})
    return ev


def outstanding(session: Session, school_id: int) -> list[tuple[IncomingFile, Pupil]]:
    """The "no file yet" list: awaited files, oldest first."""
    return list(session.execute(select(IncomingFile, Pupil).join(
        Pupil, (Pupil.id == IncomingFile.pupil_id) & (Pupil.school_id == IncomingFile.school_id))
        .where(IncomingFile.school_id == school_id, IncomingFile.received_at.is_(None))
        .order_by(IncomingFile.created_at)).all())


def history(session: Session, actor: Actor, school_id: int, incoming_id: int
            ) -> tuple[IncomingFile, list[IncomingEvent]]:
    row = _get(session, actor, school_id, incoming_id)
    events = list(session.scalars(select(IncomingEvent).where(
        IncomingEvent.incoming_id == row.id).order_by(IncomingEvent.at)))
    audit.record(session, "transition.incoming_read", actor=actor, object_type="incoming",
                 object_id=row.id, school_id=school_id)
    return row, events


def attachment(session: Session, actor: Actor, school_id: int, incoming_id: int,
               event_id: int) -> IncomingEvent:
    """A received file's attachment. Audited."""
    row = _get(session, actor, school_id, incoming_id)
    ev = session.get(IncomingEvent, event_id)
    if ev is None or ev.incoming_id != row.id or ev.data is None:
        raise NotFound("attachment")
    audit.record(session, "transition.incoming_attachment_read", actor=actor,
                 object_type="incoming", object_id=row.id, school_id=school_id)
    return ev
