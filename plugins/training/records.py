"""Completed training: entering a record with its certificate, withdrawing a mistaken one,
and reading a person's records."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from core import audit
from core.calendar import london_today
from core.db import find_in_school, get_in_school, utcnow
from core.errors import NotFound, ValidationError
from core.policy import Actor, require
from plugins.training.courses import ensure_courses
from plugins.training.models import Course, StaffMember, TrainingRecord
from plugins.training.staff import get_person

MAX_CERTIFICATE_BYTES = 5 * 1024 * 1024
# what a certificate may be, recognised by its first bytes (not by the name it was sent with)
CERTIFICATE_TYPES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
EARLIEST = dt.date(1990, 1, 1)


@dataclass(frozen=True)
class Certificate:
    filename: str
    data: bytes


def certificate_type(cert: Certificate) -> str:
    """The certificate's content type, or ``ValidationError`` if it is not a PDF, PNG or
    JPEG of at most 5 MB."""
    if not cert.data:
        raise ValidationError({"certificate": ["the file is empty"]})
    if len(cert.data) > MAX_CERTIFICATE_BYTES:
        raise ValidationError({"certificate": [
            f"{cert.filename} is larger than {MAX_CERTIFICATE_BYTES // (1024 * 1024)} MB"]})
    for magic, content_type, _ in CERTIFICATE_TYPES:
        if cert.data.startswith(magic):
            return content_type
    raise ValidationError({"certificate": [f"{cert.filename} is not a PDF, PNG or JPEG file"]})


def check_completed_on(value, today: dt.date, field: str = "completed_on") -> dt.date:
    """A completion date: a real date, not in the future, not implausibly old."""
    if not isinstance(value, dt.date):
        raise ValidationError({field: ["is required (a date)"]})
    if value > today:
        raise ValidationError({field: ["cannot be in the future"]})
    if value < EARLIEST:
        raise ValidationError({field: [f"is before {EARLIEST.year}"]})
    return value


def course_of(session: Session, trust_id: int, course_id: int) -> Course:
    """A course of the trust, or ``ValidationError`` naming ``course_id``."""
    course = session.scalar(select(Course).where(Course.id == course_id,
                                                 Course.trust_id == trust_id))
    if course is None:
        raise ValidationError({"course_id": ["no such course in this trust"]})
    return course


def add_record(session: Session, actor: Actor | None, school_id: int, staff_id: int,
               course_id: int, completed_on: dt.date, provider: str = "", notes: str = "",
               certificate: Certificate | None = None, source: str = "manual",
               session_id: int | None = None, today: dt.date | None = None) -> TrainingRecord:
    """Record completed training for one person (managers only; ``actor`` None: system)."""
    if actor is not None:
        require(actor, "training.manage", school_id)
    person = find_in_school(session, StaffMember, staff_id, school_id)
    if person is None:
        raise ValidationError({"staff_id": ["no such person in this school"]})
    ensure_courses(session, person.trust_id)
    course = course_of(session, person.trust_id, course_id)
    check_completed_on(completed_on, today or london_today())
    record = TrainingRecord(school_id=school_id, staff_id=staff_id, course_id=course.id,
                            completed_on=completed_on, provider=(provider or "").strip()[:200],
                            notes=(notes or "").strip(), source=source, session_id=session_id,
                            recorded_by_id=actor.user_id if actor else None)
    if certificate is not None:
        record.certificate_type = certificate_type(certificate)
        record.certificate_name = (certificate.filename or "certificate")[-255:]
        record.certificate_size = len(certificate.data)
        record.certificate_sha256 = hashlib.sha256(certificate.data).hexdigest()
        record.certificate = certificate.data
    session.add(record)
    session.flush()
    audit.record(session, "training.record_added", actor=actor, object_type="training_record",
                 object_id=record.id, school_id=school_id,
                 detail={"staff_id": staff_id, "course": course.code,
                         "completed_on": completed_on, "source": source,
                         "certificate_sha256": record.certificate_sha256})
    return record


def withdraw_record(session: Session, actor: Actor, school_id: int, record_id: int,
                    reason: str) -> TrainingRecord:
    """Withdraw a record entered by mistake: it stops counting but is kept, with why."""
    require(actor, "training.manage", school_id)
    record = get_in_school(session, TrainingRecord, record_id, school_id, "training record")
    if record.withdrawn_at is not None:
        raise ValidationError({"record": ["this record is already withdrawn"]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["say why the record is withdrawn"]})
    record.withdrawn_at, record.withdrawn_by_id = utcnow(), actor.user_id
    record.withdrawn_reason = reason[:300]
    session.flush()
    audit.record(session, "training.record_withdrawn", actor=actor,
                 object_type="training_record", object_id=record.id, school_id=school_id,
                 detail={"reason": reason})
    return record


def records_of(session: Session, school_id: int, staff_ids: list[int] | None = None,
               include_withdrawn: bool = False) -> list[TrainingRecord]:
    """Records of the school (or of some of its people), newest first. No access check."""
    stmt = select(TrainingRecord).where(TrainingRecord.school_id == school_id)
    if staff_ids is not None:
        stmt = stmt.where(TrainingRecord.staff_id.in_(staff_ids))
    if not include_withdrawn:
        stmt = stmt.where(TrainingRecord.withdrawn_at.is_(None))
    return list(session.scalars(stmt.order_by(TrainingRecord.completed_on.desc(),
                                              TrainingRecord.id.desc())))


def get_certificate(session: Session, actor: Actor, school_id: int,
                    record_id: int) -> TrainingRecord:
    """A record with its certificate loaded, for someone who may see the person's training."""
    record = get_in_school(session, TrainingRecord, record_id, school_id, "certificate",
                           options=[undefer(TrainingRecord.certificate)])
    if record.certificate is None:
        raise NotFound("certificate")
    get_person(session, actor, school_id, record.staff_id, audit_read=False)
    audit.record(session, "training.certificate_read", actor=actor,
                 object_type="training_record", object_id=record.id, school_id=school_id)
    return record
