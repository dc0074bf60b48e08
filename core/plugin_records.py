"""Plugins' records under the retention rules and in a subject access export.

A plugin declares its record types with their default retention
(``mat_retention_record_types``, :class:`RecordType`); those join the core's rules in
:func:`core.retention.rules`, so a trust edits their years on the same page, within the same
floor and ceiling. For a school the plugin says which of its records it holds and from when
they are due for review (``mat_retention_records``, :class:`HeldRecords`): records about a
pupil join that pupil's line on the DSL team's "due for review" list (and a legal hold on the
pupil keeps them off it); records about someone else (a member of staff's training) are
listed apart. :func:`destroy` has the plugin remove the content of what is due
(``mat_retention_destroy``) and keeps the same tombstone (:class:`Destruction`) and audit
entry as the core's own destruction.

For subject access a plugin contributes its records about a pupil
(``mat_subject_access``, :class:`SubjectAccessSection`): each item with a key the DSL team may
withhold, and the people it names, whose names the redaction step replaces.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from core import audit
from core.calendar import london_today, uk_date
from core.errors import NotFound, ValidationError
from core.models.retention import Destruction
from core.plugins import current_host
from core.policy import Actor, require


@dataclass(frozen=True)
class RecordType:
    """A kind of record a plugin keeps, with its default retention. ``key`` is
    ``<plugin>.<name>``; ``counted_from`` says in words what the years run from (``"the date
    of birth"``, ``"the week of the register"``...); ``about`` is ``"pupil"`` or ``"staff"``;
    ``source`` names where the default comes from, or says it is the platform's reading."""

    plugin: str
    key: str
    label: str
    covers: str
    years: int
    floor: int
    source: str
    counted_from: str
    about: str = "pupil"


@dataclass(frozen=True)
class HeldRecords:
    """Records of one type a school holds about one person: ``subject`` is ``pupil:<id>`` or
    ``staff:<id>``; ``review_date`` the earliest date any of them reaches the end of its
    retention; ``due`` how many have reached it by the day asked about; ``held`` how many
    there are in all."""

    plugin: str
    record_type: str
    subject: str
    name: str
    review_date: dt.date
    due: int
    held: int

    @property
    def pupil_id(self) -> int | None:
        kind, _, ident = self.subject.partition(":")
        return int(ident) if kind == "pupil" else None


@dataclass(frozen=True)
class SubjectAccessItem:
    """One record in a subject access export. ``key`` (``<plugin>:<kind>:<id>``) is what the
    DSL team ticks to withhold it; ``people`` are the third parties it names, each a dict with
    ``key`` (e.g. ``staff:12``, ``police:3``), ``kind`` (``pupil``, ``staff``, ``contact`` or
    ``other``) and ``name``."""

    key: str
    at: dt.datetime
    title: str
    text: str
    people: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class SubjectAccessSection:
    plugin: str
    title: str
    items: list[SubjectAccessItem]


def record_types() -> dict[str, RecordType]:
    """Every installed plugin's record types, by key."""
    return {t.key: t for t in current_host().call_global("mat_retention_record_types")}


def held(session: Session, school_id: int, years: dict[str, int], today: dt.date,
         pupil_ids: list[int] | None = None) -> list[HeldRecords]:
    """What the school's enabled plugins hold (about ``pupil_ids`` only, when given)."""
    return current_host().call_for_school(session, school_id, "mat_retention_records",
                                          years=years, today=today, pupil_ids=pupil_ids)


def destroy(session: Session, actor: Actor, school_id: int, record_type: str, subject: str,
            reason: str, today: dt.date | None = None) -> Destruction:
    """Destroy the content of a plugin's records of ``record_type`` about ``subject`` that
    have reached the end of their retention (the DSL), keeping a tombstone (what, when, who,
    under which rule) and an audit entry. Refused while a legal hold is on the pupil, before
    any record is due, and without a reason."""
    from core import retention
    from core.pupils import get_pupil

    types = record_types()
    rtype = types.get(record_type)
    if rtype is None:
        raise ValidationError({"record_type": [
            f"is not a plugin's record type (one of: {', '.join(types) or 'none'})"]})
    kind, _, ident = subject.partition(":")
    if kind != rtype.about or not ident.isdigit():
        raise ValidationError({"subject": [f"must be {rtype.about}:<id>"]})
    if kind == "pupil":
        pupil = get_pupil(session, actor, school_id, int(ident), "retention.destroy")
        trust_id = pupil.trust_id
    else:
        require(actor, "retention.destroy", school_id)
        pupil, trust_id = None, None
    reason = retention.check_reason(reason)
    today = today or london_today()
    if trust_id is None:
        from sqlalchemy import select

        from core.models import School
        trust_id = session.scalar(select(School.trust_id).where(School.id == school_id))
    years = retention.years_for(session, trust_id)
    mine = [h for h in held(session, school_id, years, today,
                            [pupil.id] if pupil is not None else None)
            if h.record_type == record_type and h.subject == subject]
    if not mine:
        raise NotFound("no such records")
    if not any(h.due for h in mine):
        raise ValidationError({"record_type": [
            f"retention runs until {uk_date(min(h.review_date for h in mine))}"]})
    if pupil is not None and retention.active_hold(session, pupil.id) is not None:
        raise ValidationError({"hold": ["a legal hold is in force: lift it first, with a reason"]})
    summaries = current_host().call_for_school(
        session, school_id, "mat_retention_destroy", record_type=record_type, subject=subject,
        years=years, today=today)
    if not summaries:
        raise NotFound("no plugin of this school keeps these records")
    summary = {"subject": subject, "name": mine[0].name, "plugin": rtype.plugin}
    for part in summaries:
        summary.update(part)
    tomb = Destruction(school_id=school_id, pupil_id=pupil.id if pupil is not None else None,
                       rule=record_type, rule_years=years[record_type],
                       review_date=min(h.review_date for h in mine), reason=reason,
                       destroyed_by_id=actor.user_id, summary=summary)
    session.add(tomb)
    session.flush()
    audit.record(session, "retention.destroyed", actor=actor,
                 object_type="pupil" if pupil is not None else "records",
                 object_id=pupil.id if pupil is not None else subject, school_id=school_id,
                 detail={"destruction_id": tomb.id, "rule": record_type,
                         "years": tomb.rule_years, "review_date": tomb.review_date,
                         "reason": reason, **summary})
    return tomb


def sections(session: Session, school_id: int, pupil_id: int) -> list[SubjectAccessSection]:
    """The enabled plugins' records about the pupil, for a subject access export."""
    return current_host().call_for_school(session, school_id, "mat_subject_access",
                                          pupil_id=pupil_id)
