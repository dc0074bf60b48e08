"""Agency contacts: the professionals working with a pupil (social worker, early help worker,
police officer, school nurse...), each from a date and, once it ends, until one.

Case-file information: the DSL team and the trust lead read it (every read audited), the DSL
team adds and ends contacts (audited); a contact is ended, never deleted. The current ones go
with the pupil's file when it is transferred (:func:`transfer_rows`).
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import london_today, uk_date
from core.db import get_in_school
from core.errors import NotFound, ValidationError
from core.models import AgencyContact
from core.models.contacts import CONTACT_ROLES
from core.policy import Actor
from core.pupils import get_pupil

LIMITS = {"name": 200, "organisation": 200, "phone": 40, "email": 254, "notes": 1000}
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_PHONE = re.compile(r"^\+?[0-9 ()-]+(?:\s*(?:ext\.?|x)\s*[0-9]+)?$", re.IGNORECASE)


def email_problem(email: str) -> str | None:
    """Why ``email`` is not an email address, or None (blank is allowed: not every
    professional gives one)."""
    if email and not _EMAIL.match(email):
        return "is not an email address (like name@example.org)"
    return None


def phone_problem(phone: str) -> str | None:
    """Why ``phone`` is not a phone number, or None (digits, spaces, +, brackets, hyphens and
    an extension; 6 to 15 digits)."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", re.split(r"(?i)ext|x", phone)[0])
    if not _PHONE.match(phone) or not 6 <= len(digits) <= 15:
        return "is not a phone number (digits, spaces and + only, e.g. 0113 496 0000)"
    return None


def _clean(data: dict) -> dict:
    out = {k: (str(data.get(k) or "")).strip() for k in ("role", *LIMITS)}
    out["start_date"], out["end_date"] = data.get("start_date"), data.get("end_date")
    return out


def validate_contact(data: dict) -> dict[str, list[str]]:
    """Field -> messages for a new contact (see :func:`add_contact`)."""
    errors: dict[str, list[str]] = {}
    if data["role"] not in CONTACT_ROLES:
        errors["role"] = [f"choose one of: {', '.join(CONTACT_ROLES.values())}"]
    if not data["name"]:
        errors["name"] = ["is required (the professional's name)"]
    for field, limit in LIMITS.items():
        if len(data[field]) > limit:
            errors[field] = [f"must be at most {limit} characters"]
    for field, check in (("email", email_problem), ("phone", phone_problem)):
        if field not in errors and (problem := check(data[field])):
            errors[field] = [problem]
    start, end = data["start_date"], data["end_date"]
    if not isinstance(start, dt.date):
        errors["start_date"] = ["is required (a date)"]
    elif start > london_today() + dt.timedelta(days=366):
        errors["start_date"] = ["cannot be more than a year ahead"]
    if end is not None and not isinstance(end, dt.date):
        errors["end_date"] = ["is not a date"]
    elif end is not None and isinstance(start, dt.date) and end < start:
        errors["end_date"] = [f"cannot be before the start date ({uk_date(start)})"]
    return errors


def list_contacts(session: Session, actor: Actor, school_id: int, pupil_id: int,
                  include_ended: bool = True) -> list[AgencyContact]:
    """The pupil's agency contacts, current ones first (then by role); ended ones only with
    ``include_ended``. For case-file readers; the read is audited."""
    pupil = get_pupil(session, actor, school_id, pupil_id, "casefile.read")
    today = london_today()
    rows = list(session.scalars(select(AgencyContact).where(AgencyContact.pupil_id == pupil.id)
                                .order_by(AgencyContact.start_date.desc(), AgencyContact.id)))
    if not include_ended:
        rows = [r for r in rows if r.end_date is None or r.end_date >= today]
    rows.sort(key=lambda r: (not r.current_on(today), list(CONTACT_ROLES).index(r.role)
                             if r.role in CONTACT_ROLES else 99))
    audit.record(session, "contacts.read", actor=actor, object_type="pupil", object_id=pupil.id,
                 school_id=school_id, detail={"contacts": len(rows)})
    return rows


def add_contact(session: Session, actor: Actor, school_id: int, pupil_id: int,
                **data) -> AgencyContact:
    """Add a professional working with the pupil (the DSL team): ``role`` (a key of
    :data:`CONTACT_ROLES`), ``name``, ``organisation``, ``phone``, ``email``, ``notes``,
    ``start_date`` (today when not given) and ``end_date`` if known. Errors name the field;
    audited."""
    pupil = get_pupil(session, actor, school_id, pupil_id, "casefile.write")
    unknown = set(data) - {"role", "start_date", "end_date", *LIMITS}
    if unknown:
        raise ValidationError({f: ["is not a contact field"] for f in sorted(unknown)})
    data.setdefault("start_date", london_today())
    values = _clean(data)
    if errors := validate_contact(values):
        raise ValidationError(errors)
    row = AgencyContact(school_id=school_id, pupil_id=pupil.id, recorded_by_id=actor.user_id,
                        **values)
    session.add(row)
    session.flush()
    audit.record(session, "contacts.added", actor=actor, object_type="agency_contact",
                 object_id=row.id, school_id=school_id,
                 detail={"pupil_id": pupil.id, "role": row.role})
    return row


def end_contact(session: Session, actor: Actor, school_id: int, pupil_id: int,
                contact_id: int, day: dt.date | None = None) -> AgencyContact:
    """End a contact from ``day`` (today when not given): the last day they work with the
    pupil. Not before they started, not for a contact already ended. Kept, never deleted;
    audited. A contact of another pupil or school is :class:`~core.errors.NotFound`."""
    pupil = get_pupil(session, actor, school_id, pupil_id, "casefile.write")
    row = get_in_school(session, AgencyContact, contact_id, school_id, "contact")
    if row.pupil_id != pupil.id:
        raise NotFound("contact")
    day = day or london_today()
    if row.end_date is not None and row.end_date <= london_today():
        raise ValidationError({"contact": [f"already ended on {uk_date(row.end_date)}"]})
    if day < row.start_date:
        raise ValidationError({"end_date": [f"cannot be before the contact started "
                                            f"({uk_date(row.start_date)})"]})
    row.end_date, row.ended_by_id = day, actor.user_id
    session.flush()
    audit.record(session, "contacts.ended", actor=actor, object_type="agency_contact",
                 object_id=row.id, school_id=school_id,
                 detail={"pupil_id": pupil.id, "end_date": day.isoformat()})
    return row


def transfer_rows(session: Session, pupil_id: int, today: dt.date | None = None) -> list[dict]:
    """The pupil's current contacts as labelled data for a transfer package (system code: the
    caller decides who reads the package)."""
    today = today or london_today()
    rows = session.scalars(select(AgencyContact).where(AgencyContact.pupil_id == pupil_id)
                           .order_by(AgencyContact.start_date, AgencyContact.id))
    return [{"title": f"{CONTACT_ROLES.get(r.role, r.role)}: {r.name}",
             "role": CONTACT_ROLES.get(r.role, r.role), "name": r.name,
             "organisation": r.organisation, "phone": r.phone, "email": r.email,
             "from": r.start_date.isoformat(), "notes": r.notes}
            for r in rows if r.current_on(today)]
