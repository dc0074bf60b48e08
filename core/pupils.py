"""Pupils: the roll, vulnerability flags over time, and family links across the trust."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import audit
from core.db import get_in_school
from core.calendar import london_today, uk_date
from core.errors import NotFound, ValidationError
from core.models import FamilyLink, Pupil, PupilChange, PupilFlag, School
from core.models.pupils import FLAGS, RELATIONS, YEAR_GROUPS
from core.names import like_pattern, search_words
from core.plugins import current_host
from core.policy import Actor, can, require
from core.upn import upn_problem


def get_pupil(session: Session, actor: Actor, school_id: int, pupil_id: int,
              action: str = "pupil.search") -> Pupil:
    """A pupil of ``school_id`` that ``actor`` may ``action``; 404 otherwise."""
    require(actor, action, school_id)
    return get_in_school(session, Pupil, pupil_id, school_id, "pupil")


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


def name_or_upn(q: str) -> list:
    """One condition per word typed (at most 4): part of one of the pupil's names as people
    type them (see :func:`search_pupils`), or the pupil's UPN."""
    return [or_(Pupil.search_key.like(like_pattern(key), escape="\\"), Pupil.upn == typed.upper())
            for typed, key in search_words(q)]


# the longest search anyone types (a full name with a middle name, or a UPN); the API's query
# schema holds the same limit
MAX_SEARCH = 100


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
    if len(q or "") > MAX_SEARCH:
        raise ValidationError({"q": [f"is too long: a name or UPN search is at most "
                                     f"{MAX_SEARCH} characters"]})
    stmt = select(Pupil).where(Pupil.school_id == school_id, *name_or_upn(q))
    if date_of_birth is not None:
        stmt = stmt.where(Pupil.date_of_birth == date_of_birth)
    if year_group is not None:
        stmt = stmt.where(Pupil.year_group == year_group)
    if not include_left:
        stmt = stmt.where(Pupil.on_roll_to.is_(None))
    return list(session.scalars(stmt.order_by(Pupil.last_name, Pupil.first_name, Pupil.id)
                                .limit(limit)))


# --- leaving, and keeping details up to date ---------------------------------------------------

# how far ahead a leaving date may be recorded: about one term (13 weeks), enough for a move
# agreed before a half-term or the end of a term, not so far that a typo in the year passes
LEAVING_AHEAD = dt.timedelta(weeks=13)
# the details a school keeps up to date; each change is kept in the pupil's history
EDITABLE = ("first_name", "last_name", "preferred_name", "date_of_birth", "year_group",
            "gender", "upn", "address")
FIELD_LABELS = {"first_name": "First name", "last_name": "Last name",
                "preferred_name": "Preferred name", "date_of_birth": "Date of birth",
                "year_group": "Year group", "gender": "Gender", "upn": "UPN",
                "address": "Address"}


def _pupil_for(session: Session, actor: Actor | None, school_id: int, pupil_id: int,
               action: str) -> Pupil:
    if actor is not None:
        return get_pupil(session, actor, school_id, pupil_id, action)
    return get_in_school(session, Pupil, pupil_id, school_id, "pupil")


def _destination_errors(session: Session, school_id: int, urn: str | None, unknown: bool,
                        required: bool) -> list[str]:
    if urn and unknown:
        return ["give a URN or say the destination is not known, not both"]
    if urn is not None:
        if not (len(urn) == 6 and urn.isdigit()):
            return ["must be a 6-digit URN"]
        if urn == session.get(School, school_id).urn:
            return ["is this school's own URN: give the school the pupil is going to"]
    elif required and not unknown:
        return ["give the destination school's 6-digit URN, or say it is not known"]
    return []


def _leaving_errors(session: Session, pupil: Pupil, day, reason: str, urn: str | None,
                    unknown: bool, required: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if pupil.on_roll_to is not None:
        errors["pupil"] = [f"is already off roll (left on {uk_date(pupil.on_roll_to)})"]
    if not isinstance(day, dt.date):
        errors["date"] = ["is required (a date)"]
    elif day < pupil.on_roll_from:
        errors["date"] = [f"cannot be before the pupil joined ({uk_date(pupil.on_roll_from)})"]
    elif day > london_today() + LEAVING_AHEAD:
        errors["date"] = ["cannot be more than 13 weeks ahead (about a term)"]
    if not reason:
        errors["reason"] = ["is required (why the pupil is leaving)"]
    elif len(reason) > 200:
        errors["reason"] = ["must be at most 200 characters"]
    if problems := _destination_errors(session, pupil.school_id, urn, unknown, required):
        errors["destination_urn"] = problems
    return errors


def mark_left(session: Session, actor: Actor | None, school_id: int, pupil_id: int,
              day: dt.date, reason: str, destination_urn: str | None = None, *,
              destination_unknown: bool = False, require_destination: bool = False) -> Pupil:
    """Take a pupil off roll from ``day`` (the last day on roll) and fire ``mat_pupil_event``
    ``left`` with the destination: a school's URN (a plugin may open a transfer) or
    ``destination_unknown`` (a plugin may start the children-missing-education steps).

    The pages, API and CLI pass ``require_destination``: a person taking a pupil off roll
    says where they went or that it is not known. ``actor`` None is system code (the CLI).
    Errors name the field: ``pupil``, ``date``, ``reason``, ``destination_urn``."""
    pupil = _pupil_for(session, actor, school_id, pupil_id, "pupil.manage")
    reason = (reason or "").strip()
    urn = (destination_urn or "").strip() or None
    errors = _leaving_errors(session, pupil, day, reason, urn, destination_unknown,
                             require_destination)
    if errors:
        raise ValidationError(errors)
    pupil.on_roll_to = day
    pupil.leaving_reason = reason
    pupil.destination_urn = urn
    session.flush()
    detail = {"date": day.isoformat(), "destination_urn": urn,
              "destination_unknown": bool(destination_unknown)}
    audit.record(session, "pupil.left", actor=actor, object_type="pupil", object_id=pupil.id,
                 school_id=school_id, detail=detail)
    current_host().call_for_school(session, school_id, "mat_pupil_event", pupil_id=pupil.id,
                                   event="left", data={**detail, "reason": reason})
    return pupil


def roll(session: Session, actor: Actor, school_id: int, q: str = "",
         limit: int = 500) -> list[Pupil]:
    """The pupils on roll, by year group and name, for those who keep the roll up to date
    (school admins and the DSL team): names, year, UPN, no case file. ``q`` narrows by
    words of the name or a UPN."""
    require(actor, "pupil.manage", school_id)
    stmt = select(Pupil).where(Pupil.school_id == school_id, Pupil.on_roll_to.is_(None),
                               *name_or_upn(q))
    return list(session.scalars(stmt.order_by(Pupil.year_group, Pupil.last_name,
                                              Pupil.first_name, Pupil.id).limit(limit)))


def _shown(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _normalised(changes: dict) -> dict:
    """Blank optional text is None; names trimmed; a UPN in capitals."""
    out = dict(changes)
    for f in ("preferred_name", "upn", "address"):
        if isinstance(out.get(f), str):
            out[f] = out[f].strip() or None
    for f in ("first_name", "last_name"):
        if isinstance(out.get(f), str):
            out[f] = out[f].strip()
    if out.get("upn"):
        out["upn"] = out["upn"].upper()
    return out


def _update_errors(session: Session, pupil: Pupil, changes: dict) -> dict[str, list[str]]:
    merged = {c.key: getattr(pupil, c.key) for c in Pupil.__table__.columns} | changes
    errors = {f: m for f, m in validate_pupil(merged).items() if f in changes}
    for f, limit in (("preferred_name", 100), ("address", 300)):
        if len(changes.get(f) or "") > limit:
            errors[f] = [f"must be at most {limit} characters"]
    upn = changes.get("upn")
    if upn and upn != pupil.upn and "upn" not in errors and session.scalar(
            select(Pupil.id).where(Pupil.school_id == pupil.school_id, Pupil.upn == upn,
                                   Pupil.id != pupil.id)):
        errors["upn"] = [f"{upn} belongs to another pupil on this school's roll"]
    return errors


def update_pupil(session: Session, actor: Actor | None, school_id: int, pupil_id: int,
                 **changes) -> list[PupilChange]:
    """Change a pupil's details (the fields in :data:`EDITABLE`; the DSL team and school
    admins). Each field that really changes is kept as a :class:`PupilChange` (from, to, who,
    when), audited, and announced as ``mat_pupil_event`` ``updated``. Returns the changes
    (none when nothing differs). Errors name the field."""
    pupil = _pupil_for(session, actor, school_id, pupil_id, "pupil.manage")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({f: ["is not a detail that can be changed here"]
                               for f in sorted(unknown)})
    changes = _normalised(changes)
    if errors := _update_errors(session, pupil, changes):
        raise ValidationError(errors)
    rows = []
    for f in EDITABLE:
        if f not in changes or changes[f] == getattr(pupil, f):
            continue
        rows.append(PupilChange(school_id=school_id, pupil_id=pupil.id, field=f,
                                old_value=_shown(getattr(pupil, f)),
                                new_value=_shown(changes[f]),
                                changed_by_id=actor.user_id if actor else None,
                                changed_by_name=(actor.name if actor else "the system")[:200]))
        setattr(pupil, f, changes[f])
    if not rows:
        return []
    session.add_all(rows)
    session.flush()
    fields = [r.field for r in rows]
    audit.record(session, "pupil.updated", actor=actor, object_type="pupil", object_id=pupil.id,
                 school_id=school_id, detail={"fields": fields})
    current_host().call_for_school(session, school_id, "mat_pupil_event", pupil_id=pupil.id,
                                   event="updated", data={"fields": fields})
    return rows


GENDERS = {"F": "Female", "M": "Male", "X": "Other", "U": "Not known"}


def shown_value(field: str, value: str | None) -> str:
    """A stored history value as people read it: a UK date, a year group's name, a gender's
    word; "empty" for nothing."""
    if value is None or value == "":
        return "empty"
    if field == "date_of_birth":
        return uk_date(dt.date.fromisoformat(value))
    if field == "year_group":
        return YEAR_GROUPS.get(int(value), value)
    if field == "gender":
        return GENDERS.get(value, value)
    return value


def pupil_history(session: Session, actor: Actor, school_id: int,
                  pupil_id: int) -> list[PupilChange]:
    """Every change to a pupil's details, newest first (the DSL team; the caller audits a
    read through the API)."""
    pupil = get_pupil(session, actor, school_id, pupil_id, "casefile.read")
    return list(session.scalars(select(PupilChange).where(PupilChange.pupil_id == pupil.id)
                                .order_by(PupilChange.changed_at.desc(),
                                          PupilChange.id.desc())))


# --- vulnerability flags --------------------------------------------------------------------

def set_flag(session: Session, actor: Actor | None, school_id: int, pupil_id: int, flag: str,
             start: dt.date, note: str = "") -> PupilFlag:
    """Start a flag from ``start`` (a flag already active is left as it is)."""
    if flag not in FLAGS:
        raise ValidationError({"flag": [f"unknown flag {flag!r}; one of {', '.join(FLAGS)}"]})
    if actor is not None:
        pupil = get_pupil(session, actor, school_id, pupil_id, "casefile.write")
    else:
        pupil = get_in_school(session, Pupil, pupil_id, school_id, "pupil")
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
    """Every pupil currently linked to ``pupil_id`` (ended links left out) with their school,
    across the trust. System-level: callers decide what of it a person may see (see
    :func:`visible_family`)."""
    from core.db import system_scope

    with system_scope(session, "family lookup"):
        links = session.scalars(select(FamilyLink).where(or_(
            FamilyLink.pupil_id == pupil_id, FamilyLink.related_pupil_id == pupil_id),
            FamilyLink.ended_on.is_(None))).all()  # an ended link is no longer family
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
