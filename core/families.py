"""Family links across the trust's schools: list, add, end (never delete), find a relative by
name in any school of the trust, and suggested links (pupils of the same school sharing an
address) for the DSL team to confirm or dismiss. Suggestions across schools are
:mod:`core.family_suggestions`': there the other school's child is never named to a DSL and
both schools' DSLs (or the trust lead) must confirm.

A relative at another school is shown by name, year group and school only: linking two
children says nothing of either's case file, and a DSL opens the other child's file only where
their own roles let them (``can_open``). Links are trust rows (:class:`FamilyLink`); reading
the other school's pupil is a lookup outside the caller's school scope, so this module hands
back only those three facts about them.
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import london_today, uk_date
from core.db import system_scope, utcnow
from core.errors import NotFound, ValidationError
from core.models import FamilyLink, FamilySuggestionDismissal, Pupil, School
from core.models.pupils import YEAR_GROUPS
from core.names import fold, like_pattern, search_words
from core.policy import Actor, can
from core.pupils import get_pupil

RELATION_LABELS = {
    "sibling": "Sibling",
    "half_sibling": "Half-sibling",
    "step_sibling": "Step-sibling",
    "cousin": "Cousin",
    "same_household": "Other household member",
    "other": "Other family member",
}
MAX_REASON = 200
MAX_CANDIDATES = 500  # pupils compared in Python for one suggestion list, at most
_POSTCODE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})\b")


def address_key(address: str | None) -> str:
    """An address as suggestions compare it: no case, accents, spaces or punctuation, so
    "12 Mill Road, LS6 2AB" and "12 mill road ls62ab" are the same home."""
    return re.sub(r"[^0-9a-z]", "", fold(address or ""))


def postcode_of(address: str | None) -> str | None:
    """The UK postcode in an address, without its space ("LS62AB"), or None."""
    found = _POSTCODE.search((address or "").upper())
    return found.group(1) + found.group(2) if found else None


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _relative(other: Pupil, school: School, actor: Actor) -> dict:
    """What a page or the API says about a relative: name, year, school; nothing else."""
    return {"pupil_id": other.id, "name": other.display_name,
            "year": YEAR_GROUPS.get(other.year_group, ""), "school_id": school.id,
            "school_name": school.name, "on_roll": other.on_roll_to is None,
            "can_open": can(actor, "casefile.read", school.id)}


def _links_of(session: Session, pupil_id: int) -> list[FamilyLink]:
    return list(session.scalars(select(FamilyLink).where(or_(
        FamilyLink.pupil_id == pupil_id, FamilyLink.related_pupil_id == pupil_id))
        .order_by(FamilyLink.recorded_at, FamilyLink.id)))


def _other_end(link: FamilyLink, pupil_id: int) -> int:
    return link.related_pupil_id if link.pupil_id == pupil_id else link.pupil_id


def describe(session: Session, actor: Actor, pupil: Pupil, link: FamilyLink) -> dict:
    """One of ``pupil``'s links as pages and the API show it: the relative's name, year group
    and school, the relation, and when and why it ended (the caller checked access)."""
    with system_scope(session, "family link: the relative"):
        other = session.get(Pupil, _other_end(link, pupil.id))
        school = session.get(School, other.school_id)
    return {**_relative(other, school, actor), "link_id": link.id, "relation": link.relation,
            "relation_label": RELATION_LABELS.get(link.relation, link.relation),
            "same_school": school.id == pupil.school_id, "recorded_at": link.recorded_at,
            "ended_on": link.ended_on, "end_reason": link.end_reason,
            "current": link.ended_on is None}


def family(session: Session, actor: Actor, school_id: int, pupil_id: int) -> list[dict]:
    """The pupil's family links, current first, each with the relative's name, year group and
    school (``same_school``, ``can_open``), the relation and, for an ended link, when and why
    it ended. For case-file readers of the pupil's school; the read is audited."""
    pupil = get_pupil(session, actor, school_id, pupil_id, "casefile.read")
    out = [describe(session, actor, pupil, link) for link in _links_of(session, pupil.id)]
    out.sort(key=lambda m: (not m["current"], m["name"]))
    audit.record(session, "family.read", actor=actor, object_type="pupil", object_id=pupil.id,
                 school_id=school_id, detail={"links": len(out)})
    return out


def find_relatives(session: Session, actor: Actor, school_id: int, pupil_id: int, q: str,
                   limit: int = 20) -> list[dict]:
    """Pupils on roll at any school of the trust whose names match ``q`` (as the pupil search
    matches them, :mod:`core.names`), to link as family: name, year group and school only.
    For the DSL team of the pupil's school; the pupil themself is left out and each result
    says whether they are ``linked`` already. The search is audited."""
    pupil = get_pupil(session, actor, school_id, pupil_id, "casefile.write")
    words = search_words(q)
    if not words or sum(len(key) for _, key in words) < 2:
        raise ValidationError({"q": ["type at least two letters of the relative's name"]})
    linked = {_other_end(link, pupil.id): link.ended_on is None
              for link in _links_of(session, pupil.id)}
    with system_scope(session, "find a relative across the trust"):
        stmt = (select(Pupil, School).join(School, School.id == Pupil.school_id)
                .where(School.trust_id == pupil.trust_id, Pupil.id != pupil.id,
                       Pupil.on_roll_to.is_(None)))
        for _, key in words:
            stmt = stmt.where(Pupil.search_key.like(like_pattern(key), escape="\\"))
        rows = session.execute(stmt.order_by(Pupil.last_name, Pupil.first_name, School.name,
                                             Pupil.id).limit(limit)).all()
        out = [{**_relative(p, sc, actor), "linked": linked.get(p.id, False)} for p, sc in rows]
    audit.record(session, "family.searched", actor=actor, object_type="pupil",
                 object_id=pupil.id, school_id=school_id, detail={"results": len(out)})
    return out


def _related_in_trust(session: Session, pupil: Pupil, related_pupil_id) -> Pupil:
    if not isinstance(related_pupil_id, int) or isinstance(related_pupil_id, bool):
        raise ValidationError({"related_pupil_id": ["choose the relative (a pupil id)"]})
    if related_pupil_id == pupil.id:
        raise ValidationError({"related_pupil_id": ["a pupil cannot be linked to themself"]})
    with system_scope(session, "family link: the relative"):
        other = session.get(Pupil, related_pupil_id)
    if other is None or other.trust_id != pupil.trust_id:
        raise ValidationError({"related_pupil_id": ["is not a pupil of this trust's schools"]})
    return other


def add_link(session: Session, actor: Actor, school_id: int, pupil_id: int,
             related_pupil_id: int, relation: str) -> FamilyLink:
    """Link the pupil to a relative at any school of the trust (the DSL team of the pupil's
    school). A pair already linked is refused naming ``related_pupil_id``; a pair whose link
    had ended is linked again (the ended period stays in the audit log). Audited, with both
    schools."""
    pupil = get_pupil(session, actor, school_id, pupil_id, "casefile.write")
    if relation not in RELATION_LABELS:
        raise ValidationError({"relation": [f"choose one of: "
                                            f"{', '.join(RELATION_LABELS.values())}"]})
    other = _related_in_trust(session, pupil, related_pupil_id)
    lo, hi = _pair(pupil.id, other.id)
    link = session.scalar(select(FamilyLink).where(FamilyLink.pupil_id == lo,
                                                   FamilyLink.related_pupil_id == hi))
    if link is not None and link.ended_on is None:
        raise ValidationError({"related_pupil_id": [
            f"{other.display_name} is already linked "
            f"({RELATION_LABELS.get(link.relation, link.relation).lower()})"]})
    relinked = link is not None
    if link is None:
        link = FamilyLink(trust_id=pupil.trust_id, pupil_id=lo, related_pupil_id=hi)
        session.add(link)
    link.relation, link.recorded_by_id, link.recorded_at = relation, actor.user_id, utcnow()
    link.ended_on = link.ended_by_id = link.end_reason = None
    session.flush()
    audit.record(session, "family.linked", actor=actor, object_type="family_link",
                 object_id=link.id, school_id=school_id,
                 detail={"pupil_id": pupil.id, "related_pupil_id": other.id,
                         "related_school_id": other.school_id, "relation": relation,
                         "linked_again": relinked})
    return link


def end_link(session: Session, actor: Actor, school_id: int, pupil_id: int, link_id: int,
             day: dt.date | None = None, reason: str = "") -> FamilyLink:
    """End one of the pupil's current links from ``day`` (today when not given; not in the
    future, not before it was recorded), with an optional reason. The link is kept, ended;
    audited. Another pupil's link, or one that does not exist, is :class:`NotFound`."""
    pupil = get_pupil(session, actor, school_id, pupil_id, "casefile.write")
    link = session.get(FamilyLink, link_id)
    if link is None or pupil.id not in (link.pupil_id, link.related_pupil_id):
        raise NotFound("family link")
    day = day or london_today()
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if link.ended_on is not None:
        errors["link"] = [f"already ended on {uk_date(link.ended_on)}"]
    elif day > london_today():
        errors["ended_on"] = ["cannot be in the future"]
    elif day < link.recorded_at.date():
        errors["ended_on"] = [f"cannot be before the link was recorded "
                              f"({uk_date(link.recorded_at.date())})"]
    if len(reason) > MAX_REASON:
        errors["reason"] = [f"must be at most {MAX_REASON} characters"]
    if errors:
        raise ValidationError(errors)
    link.ended_on, link.ended_by_id, link.end_reason = day, actor.user_id, reason or None
    session.flush()
    audit.record(session, "family.link_ended", actor=actor, object_type="family_link",
                 object_id=link.id, school_id=school_id,
                 detail={"pupil_id": pupil.id, "related_pupil_id": _other_end(link, pupil.id),
                         "ended_on": day.isoformat(), "reason": reason})
    return link


# --- suggestions -----------------------------------------------------------------------------

def _address_candidates(session: Session, pupil: Pupil) -> list[tuple[Pupil, School]]:
    """Pupils on roll at this pupil's school whose address may be theirs: narrowed in SQL by
    the postcode (or the address's longest word), compared exactly in Python."""
    stmt = (select(Pupil, School).join(School, School.id == Pupil.school_id)
            .where(Pupil.school_id == pupil.school_id, Pupil.id != pupil.id,
                   Pupil.on_roll_to.is_(None), Pupil.address.is_not(None)))
    postcode = postcode_of(pupil.address)
    if postcode:
        stmt = stmt.where(func.replace(func.upper(Pupil.address), " ", "")
                          .like(like_pattern(postcode), escape="\\"))
    else:
        words = sorted(re.findall(r"[^\W\d_]{3,}", pupil.address or ""), key=len)
        if not words:
            return []
        stmt = stmt.where(func.lower(Pupil.address).like(like_pattern(words[-1].lower()),
                                                         escape="\\"))
    return list(session.execute(stmt.order_by(Pupil.id).limit(MAX_CANDIDATES)).all())


def suggestions(session: Session, actor: Actor, school_id: int, pupil_id: int) -> list[dict]:
    """Pupils of this pupil's school who share their address (normalised, see
    :func:`address_key`), are not linked to them (now or before) and were not dismissed:
    name, year group and school, for the DSL team to confirm or dismiss. Nothing is linked
    here. A child at another school is never suggested here, where their name would show:
    :mod:`core.family_suggestions` handles those."""
    pupil = get_pupil(session, actor, school_id, pupil_id, "casefile.write")
    key = address_key(pupil.address)
    if not key:
        return []
    known = {_other_end(link, pupil.id) for link in _links_of(session, pupil.id)}
    dismissed = session.scalars(select(FamilySuggestionDismissal).where(or_(
        FamilySuggestionDismissal.pupil_id == pupil.id,
        FamilySuggestionDismissal.related_pupil_id == pupil.id))).all()
    known |= {_other_end(d, pupil.id) for d in dismissed}
    with system_scope(session, "suggested family links in the school"):
        return [{**_relative(p, sc, actor), "reason": "Same address"}
                for p, sc in _address_candidates(session, pupil)
                if p.id not in known and address_key(p.address) == key]


def dismiss_suggestion(session: Session, actor: Actor, school_id: int, pupil_id: int,
                       related_pupil_id: int) -> FamilySuggestionDismissal:
    """Record that the DSL team says the pair is not family, so it is not suggested again on
    either pupil's page. Dismissing twice keeps the first. Audited."""
    pupil = get_pupil(session, actor, school_id, pupil_id, "casefile.write")
    other = _related_in_trust(session, pupil, related_pupil_id)
    lo, hi = _pair(pupil.id, other.id)
    row = session.scalar(select(FamilySuggestionDismissal).where(
        FamilySuggestionDismissal.pupil_id == lo, FamilySuggestionDismissal.related_pupil_id == hi))
    if row is not None:
        return row
    row = FamilySuggestionDismissal(trust_id=pupil.trust_id, pupil_id=lo, related_pupil_id=hi,
                                    dismissed_by_id=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, "family.suggestion_dismissed", actor=actor, object_type="pupil",
                 object_id=pupil.id, school_id=school_id,
                 detail={"related_pupil_id": other.id, "related_school_id": other.school_id})
    return row
