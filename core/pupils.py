"""Pupils: the roll, vulnerability flags over time, and family links across the trust."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import NotFound, ValidationError
from core.models import FamilyLink, Pupil, PupilFlag, School
from core.models.pupils import FLAGS, RELATIONS, YEAR_GROUPS
from core.names import like_pattern, search_words
from core.plugins import current_host
from core.policy import Actor, can, require
from core.upn import upn_problem


def get_pupil(session: Session, actor: Actor, school_id: int, pupil_id: int,
              action: str = "pupil.search") -> Pupil:
    """A pupil of ``school_id`` that ``actor`` may ``action``; 404 otherwise."""
    require(actor, action, school_id)
    pupil = session.get(Pupil, pupil_id)
    if pupil is None or pupil.school_id != school_id:
        raise NotFound("pupil")
    return pupil


def validate_pupil(data: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for f in ("first_name", "last_name"):
        if not str(data.get(f) or "").strip():
            errors[f] = ["is required"]
        elif len(str(data[f])) > 100:
            errors[f] = ["must be at most 100 characters"]
    upn = data.get("upn")
    if upn:
        if problem := upn_problem(str(upn)):
            errors["upn"] = [problem]
    dob = data.get("date_of_birth")
    if not isinstance(dob, dt.date):
        errors["date_of_birth"] = ["is required (a date)"]
    elif dob > dt.date.today() or dob < dt.date.today() - dt.timedelta(days=365 * 25):
        errors["date_of_birth"] = ["must be a real date of birth for a school-age child"]
    yg = data.get("year_group")
    if not isinstance(yg, int) or yg not in YEAR_GROUPS:
        errors["year_group"] = ["must be -1 (nursery), 0 (reception) or 1 to 14"]
    if not isinstance(data.get("on_roll_from"), dt.date):
        errors["on_roll_from"] = ["is required (a date)"]
    if data.get("gender", "U") not in ("F", "M", "X", "U"):
        errors["gender"] = ["must be F, M, X or U"]
    return errors


def add_pupil(session: Session, actor: Actor | None, school_id: int, **data) -> Pupil:
    """Put a pupil on a school's roll. ``actor`` None is system code (imports, demo)."""
    if actor is not None:
        require(actor, "pupil.manage", school_id)
    data.setdefault("gender", "U")
    errors = validate_pupil(data)
    if data.get("upn") and not errors.get("upn") and session.scalar(select(Pupil.id).where(
            Pupil.school_id == school_id, Pupil.upn == data["upn"])):
        errors["upn"] = [f"{data['upn']} is already on this school's roll"]
    if errors:
        raise ValidationError(errors)
    allowed = {c.key for c in Pupil.__table__.columns} - {"id", "school_id", "trust_id",
                                                          "created_at"}
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError({f: ["is not a pupil field"] for f in unknown})
    pupil = Pupil(school_id=school_id, **data)
    session.add(pupil)
    session.flush()
    audit.record(session, "pupil.created", actor=actor, object_type="pupil", object_id=pupil.id,
                 school_id=school_id)
    current_host().call_for_school(session, school_id, "mat_pupil_event", pupil_id=pupil.id,
                                   event="created", data={})
    return pupil


def search_pupils(session: Session, actor: Actor, school_id: int, q: str = "",
                  include_left: bool = False, limit: int = 20, *,
                  date_of_birth: dt.date | None = None,
                  year_group: int | None = None) -> list[Pupil]:
    """Name or UPN search within one school (what a staff member needs to record a concern),
    optionally narrowed to a date of birth and a year group.

    Names are found as people type them (:mod:`core.names`): every word must be part of one of
    the pupil's names (first, preferred or last) ignoring accents, case, apostrophes, hyphens
    and spaces, so "zoe" finds Zoë, "obrien" O’Brien and "smith jones" Smith-Jones; or be the
    pupil's UPN. A ``%`` or ``_`` is looked for as itself."""
    require(actor, "pupil.search", school_id)
    stmt = select(Pupil).where(Pupil.school_id == school_id)
    for typed, key in search_words(q):
        stmt = stmt.where(or_(Pupil.search_key.like(like_pattern(key), escape="\\"),
                              Pupil.upn == typed.upper()))
    if date_of_birth is not None:
        stmt = stmt.where(Pupil.date_of_birth == date_of_birth)
    if year_group is not None:
        stmt = stmt.where(Pupil.year_group == year_group)
    if not include_left:
        stmt = stmt.where(Pupil.on_roll_to.is_(None))
    return list(session.scalars(stmt.order_by(Pupil.last_name, Pupil.first_name, Pupil.id)
                                .limit(limit)))


def mark_left(session: Session, actor: Actor, school_id: int, pupil_id: int, day: dt.date,
              reason: str, destination_urn: str | None = None) -> Pupil:
    """Take a pupil off roll from ``day``; with a destination URN for a transfer."""
    pupil = get_pupil(session, actor, school_id, pupil_id, "pupil.manage")
    if pupil.on_roll_to is not None:
        raise ValidationError({"on_roll_to": ["this pupil has already left"]})
    if day < pupil.on_roll_from:
        raise ValidationError({"on_roll_to": ["cannot be before the pupil joined"]})
    if destination_urn is not None and not (len(destination_urn) == 6 and destination_urn.isdigit()):
        raise ValidationError({"destination_urn": ["must be a 6-digit URN"]})
    if not (reason or "").strip():
        raise ValidationError({"leaving_reason": ["is required"]})
    pupil.on_roll_to = day
    pupil.leaving_reason = reason.strip()
    pupil.destination_urn = destination_urn
    session.flush()
    audit.record(session, "pupil.left", actor=actor, object_type="pupil", object_id=pupil.id,
                 school_id=school_id, detail={"date": day.isoformat(),
                                              "destination_urn": destination_urn})
    current_host().call_for_school(session, school_id, "mat_pupil_event", pupil_id=pupil.id,
                                   event="left", data={"date": day.isoformat(),
                                                       "destination_urn": destination_urn})
    return pupil


# --- vulnerability flags --------------------------------------------------------------------

def set_flag(session: Session, actor: Actor | None, school_id: int, pupil_id: int, flag: str,
             start: dt.date, note: str = "") -> PupilFlag:
    """Start a flag from ``start`` (a flag already active is left as it is)."""
    if flag not in FLAGS:
        raise ValidationError({"flag": [f"unknown flag {flag!r}; one of {', '.join(FLAGS)}"]})
    if actor is not None:
        pupil = get_pupil(session, actor, school_id, pupil_id, "casefile.write")
    else:
        pupil = session.get(Pupil, pupil_id)
        if pupil is None or pupil.school_id != school_id:
            raise NotFound("pupil")
    current = session.scalar(select(PupilFlag).where(
        PupilFlag.pupil_id == pupil.id, PupilFlag.flag == flag, PupilFlag.end_date.is_(None)))
    if current is not None:
        return current
    row = PupilFlag(school_id=school_id, pupil_id=pupil.id, flag=flag, start_date=start,
                    note=note, recorded_by_id=actor.user_id if actor else None)
    session.add(row)
    session.flush()
    audit.record(session, "pupil.flag_set", actor=actor, object_type="pupil", object_id=pupil.id,
                 school_id=school_id, detail={"flag": flag, "start": start.isoformat()})
    current_host().call_for_school(session, school_id, "mat_pupil_event", pupil_id=pupil.id,
                                   event="flag_changed", data={"flag": flag, "on": True})
    return row


def end_flag(session: Session, actor: Actor, school_id: int, pupil_id: int, flag: str,
             end: dt.date) -> PupilFlag:
    pupil = get_pupil(session, actor, school_id, pupil_id, "casefile.write")
    row = session.scalar(select(PupilFlag).where(
        PupilFlag.pupil_id == pupil.id, PupilFlag.flag == flag, PupilFlag.end_date.is_(None)))
    if row is None:
        raise ValidationError({"flag": [f"{FLAGS.get(flag, flag)} is not active"]})
    if end < row.start_date:
        raise ValidationError({"end_date": ["cannot be before the flag started"]})
    row.end_date = end
    session.flush()
    audit.record(session, "pupil.flag_ended", actor=actor, object_type="pupil", object_id=pupil.id,
                 school_id=school_id, detail={"flag": flag, "end": end.isoformat()})
    current_host().call_for_school(session, school_id, "mat_pupil_event", pupil_id=pupil.id,
                                   event="flag_changed", data={"flag": flag, "on": False})
    return row


def flags_on(session: Session, pupil_id: int, day: dt.date) -> set[str]:
    """The flags active for a pupil on ``day``."""
    rows = session.scalars(select(PupilFlag).where(PupilFlag.pupil_id == pupil_id))
    return {r.flag for r in rows if r.active_on(day)}


def flag_history(session: Session, actor: Actor, school_id: int, pupil_id: int) -> list[PupilFlag]:
    pupil = get_pupil(session, actor, school_id, pupil_id, "casefile.read")
    return list(session.scalars(select(PupilFlag).where(PupilFlag.pupil_id == pupil.id)
                                .order_by(PupilFlag.start_date)))


# --- family links ---------------------------------------------------------------------------

def link_family(session: Session, actor: Actor | None, pupil_a: int, pupil_b: int,
                relation: str = "sibling") -> FamilyLink:
    """Link two pupils of one trust as family. Linking across schools needs the trust lead,
    or a DSL of both schools; within a school, its DSL."""
    if relation not in RELATIONS:
        raise ValidationError({"relation": [f"one of {', '.join(RELATIONS)}"]})
    if pupil_a == pupil_b:
        raise ValidationError({"related_pupil_id": ["a pupil cannot be linked to themself"]})
    from core.db import system_scope

    with system_scope(session, "family link lookup"):
        a, b = session.get(Pupil, pupil_a), session.get(Pupil, pupil_b)
    if a is None or b is None or a.trust_id != b.trust_id:
        raise NotFound("pupil")
    if actor is not None:
        ok = (can(actor, "casefile.write", a.school_id) and can(actor, "casefile.write", b.school_id)
              ) or can(actor, "family.link", trust_id=a.trust_id)
        if not ok:
            raise NotFound("pupil")
    lo, hi = sorted((pupil_a, pupil_b))
    existing = session.scalar(select(FamilyLink).where(FamilyLink.pupil_id == lo,
                                                       FamilyLink.related_pupil_id == hi))
    if existing:
        return existing
    link = FamilyLink(trust_id=a.trust_id, pupil_id=lo, related_pupil_id=hi, relation=relation,
                      recorded_by_id=actor.user_id if actor else None)
    session.add(link)
    session.flush()
    audit.record(session, "family.linked", actor=actor, object_type="pupil", object_id=lo,
                 trust_id=a.trust_id, detail={"related_pupil_id": hi, "relation": relation})
    return link


def family_of(session: Session, pupil_id: int) -> list[tuple[FamilyLink, Pupil, School]]:
    """Every pupil linked to ``pupil_id`` with their school, across the trust. System-level:
    callers decide what of it a person may see (see :func:`visible_family`)."""
    from core.db import system_scope

    with system_scope(session, "family lookup"):
        links = session.scalars(select(FamilyLink).where(or_(
            FamilyLink.pupil_id == pupil_id, FamilyLink.related_pupil_id == pupil_id))).all()
        out = []
        for link in links:
            other_id = link.related_pupil_id if link.pupil_id == pupil_id else link.pupil_id
            other = session.get(Pupil, other_id)
            out.append((link, other, session.get(School, other.school_id)))
    return out


def visible_family(session: Session, actor: Actor, school_id: int, pupil_id: int) -> list[dict]:
    """Family links a case-file reader sees: name, relation and school of each relative. A
    relative at another school is named (so the whole family is seen) but only those with
    access to that school can open their file (``can_open``)."""
    get_pupil(session, actor, school_id, pupil_id, "casefile.read")
    out = []
    for link, other, school in family_of(session, pupil_id):
        out.append({
            "pupil_id": other.id, "name": other.display_name, "relation": link.relation,
            "school_id": school.id, "school_name": school.name,
            "same_school": school.id == school_id,
            "on_roll": other.on_roll_to is None,
            "can_open": can(actor, "casefile.read", school.id),
        })
    audit.record(session, "family.read", actor=actor, object_type="pupil", object_id=pupil_id,
                 school_id=school_id)
    return out
