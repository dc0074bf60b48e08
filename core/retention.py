"""How long a pupil's records are kept, and which have reached the end of it.

Each record type the core holds has a retention rule: a number of years from the pupil's date
of birth, after which the DSL team reviews the records (keep longer with a reason, or destroy).
The defaults and their sources are in :data:`RULES`; a trust changes the years for its schools
(a trust setting, audited), never below a rule's floor. A pupil under a legal hold (an
inquiry's instruction such as IICSA's, a claim, a court order) stays off the "due for review"
list until the hold is lifted. Setting and lifting a hold needs a reason; both are audited,
as is every read of the list. Plugins' own records (attendance registers, police
notifications, transfer files, training records) come in through hooks
(:mod:`core.plugin_records`): their rules join :func:`rules`, and their records about a pupil
join that pupil's review dates.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, exists, null, select, update
from sqlalchemy.orm import Session

from core import audit
from core.calendar import london_today, uk_date
from core.db import utcnow
from core.errors import ValidationError
from core.models import (AgencyContact, Attachment, Concern, ConcernEntry, ConcernPupil,
                         LegalHold, Pupil, PupilFlag, School)
from core.models.retention import DestroyedConcern, Destruction
from core.policy import Actor, require
from core.pupils import get_pupil
from core.schools import set_trust_setting, trust_setting

SETTING_KEY = "retention_years"
REASON_LIMIT = 500
IRMS = ("IRMS Information Management Toolkit for Schools (and its Academies edition), "
        "retention guidelines")


@dataclass(frozen=True)
class Rule:
    """A record type's default retention: ``years`` after the date of birth, then review.
    ``floor`` is the fewest years a trust may set; ``source`` says where the default comes
    from (or that it is the platform's own choice)."""

    key: str
    label: str
    covers: str
    years: int
    floor: int
    source: str
    counted_from: str = "the date of birth"
    plugin: str = "core"
    about: str = "pupil"


RULES: dict[str, Rule] = {r.key: r for r in (
    Rule("child_protection", "Child-protection file",
         "concerns, the DSL team's entries and attachments, vulnerability flags and agency "
         "contacts", 25, 25,
         f"{IRMS}: child protection files, date of birth of the child + 25 years, then review"),
    Rule("pupil_record", "Pupil's roll record",
         "name, date of birth, UPN and roll dates, once the pupil has left", 25, 1,
         f"{IRMS}: pupil's educational record held by a secondary school, date of birth + 25 "
         f"years. A primary school passes the record on; the platform keeps the same 25 years "
         f"for both phases (its own default) so the roll record outlives no file it anchors"),
)}


@dataclass(frozen=True)
class PupilRetention:
    """Where one pupil's records stand: the review date of each record type held, which are
    due, and the legal hold in force (if any)."""

    pupil: Pupil
    review_dates: dict[str, dt.date]
    due: tuple[str, ...]
    hold: LegalHold | None


def rules() -> dict[str, Rule]:
    """The core's rules and every installed plugin's record types (``mat_retention_record_types``)."""
    from core import plugin_records

    out = dict(RULES)
    for t in plugin_records.record_types().values():
        out[t.key] = Rule(t.key, t.label, t.covers, t.years, t.floor, t.source,
                          t.counted_from, t.plugin, t.about)
    return out


def years_for(session: Session, trust_id: int) -> dict[str, int]:
    """The trust's years per record type (its setting over the defaults)."""
    every = rules()
    stored = trust_setting(session, trust_id, SETTING_KEY, {k: r.years for k, r in every.items()})
    return {k: int(stored.get(k, r.years)) for k, r in every.items()}


def set_years(session: Session, actor: Actor, trust_id: int, years: dict) -> dict[str, int]:
    """Change the trust's retention years (the trust safeguarding lead). Unknown record types,
    non-whole numbers and years below a rule's floor or above 120 are refused naming the
    type; audited with the old and new years."""
    require(actor, "retention.rules", trust_id=trust_id)
    every = rules()
    errors: dict[str, list[str]] = {}
    for key, value in years.items():
        rule = every.get(key)
        if rule is None:
            errors[key] = [f"is not a record type (one of: {', '.join(every)})"]
        elif isinstance(value, bool) or not isinstance(value, int):
            errors[key] = ["must be a whole number of years"]
        elif not rule.floor <= value <= 120:
            errors[key] = [f"must be between {rule.floor} and 120 years"
                           + (" (the IRMS toolkit's 25 years is the least for this record)"
                              if rule.floor == 25 else "")]
    if errors:
        raise ValidationError(errors)
    before = years_for(session, trust_id)
    after = {**before, **years}
    set_trust_setting(session, trust_id, SETTING_KEY, after)
    audit.record(session, "retention.rules_changed", actor=actor, object_type="trust",
                 object_id=trust_id, trust_id=trust_id, detail={"before": before, "after": after})
    return after


def review_date(date_of_birth: dt.date, years: int) -> dt.date:
    """``years`` after the date of birth (29 February falls on 28 February)."""
    try:
        return date_of_birth.replace(year=date_of_birth.year + years)
    except ValueError:
        return date_of_birth.replace(year=date_of_birth.year + years, day=28)


def _has_casefile(pupil_id):
    """Whether the pupil still holds child-protection content: a concern not destroyed, a
    flag with a note, an agency contact."""
    return (exists().where(ConcernPupil.pupil_id == pupil_id, ConcernPupil.concern_id.not_in(
                select(DestroyedConcern.concern_id)))
            | exists().where(PupilFlag.pupil_id == pupil_id, PupilFlag.note != "")
            | exists().where(AgencyContact.pupil_id == pupil_id))


def _status(pupil: Pupil, has_file: bool, years: dict[str, int], hold: LegalHold | None,
            today: dt.date, plugin_dates: dict[str, dt.date] | None = None) -> PupilRetention:
    dates = {}
    if has_file:
        dates["child_protection"] = review_date(pupil.date_of_birth, years["child_protection"])
    if pupil.on_roll_to is not None:
        dates["pupil_record"] = review_date(pupil.date_of_birth, years["pupil_record"])
    dates.update(plugin_dates or {})
    due = tuple(k for k, day in sorted(dates.items(), key=lambda kv: kv[1]) if day <= today)
    return PupilRetention(pupil, dates, due, hold)


def _plugin_dates(session: Session, school_id: int, years: dict[str, int], today: dt.date,
                  pupil_ids: list[int] | None = None) -> dict[int, dict[str, dt.date]]:
    """pupil id -> {plugin record type: the earliest review date of those records}."""
    from core import plugin_records

    out: dict[int, dict[str, dt.date]] = {}
    for h in plugin_records.held(session, school_id, years, today, pupil_ids):
        if h.pupil_id is not None:
            mine = out.setdefault(h.pupil_id, {})
            mine[h.record_type] = min(h.review_date, mine.get(h.record_type, h.review_date))
    return out


def active_hold(session: Session, pupil_id: int) -> LegalHold | None:
    """The legal hold in force on the pupil, if any."""
    return _active_holds(session, [pupil_id]).get(pupil_id)


def staff_records_due(session: Session, actor: Actor, school_id: int,
                      today: dt.date | None = None) -> list:
    """Plugins' records about people other than pupils (a member of staff's training) that
    have reached the end of their retention, earliest first (the DSL team and the trust
    lead; audited with the count)."""
    from core import plugin_records

    require(actor, "retention.review", school_id)
    today = today or london_today()
    trust_id = session.scalar(select(School.trust_id).where(School.id == school_id))
    found = sorted((h for h in plugin_records.held(session, school_id,
                                                   years_for(session, trust_id), today)
                    if h.pupil_id is None and h.due),
                   key=lambda h: (h.review_date, h.name))
    audit.record(session, "retention.due_read", actor=actor, object_type="school",
                 object_id=school_id, school_id=school_id, detail={"staff_due": len(found)})
    return found


def _active_holds(session: Session, pupil_ids: list[int]) -> dict[int, LegalHold]:
    if not pupil_ids:
        return {}
    rows = session.scalars(select(LegalHold).where(LegalHold.pupil_id.in_(pupil_ids),
                                                   LegalHold.lifted_at.is_(None)))
    return {h.pupil_id: h for h in rows}


def due_for_review(session: Session, actor: Actor, school_id: int,
                   today: dt.date | None = None) -> tuple[list[PupilRetention],
                                                          list[PupilRetention]]:
    """The school's pupils with a record type past its retention date: (due, held). ``due``
    are those the DSL team must review now, oldest first; ``held`` those kept off the list by
    a legal hold. The DSL team and the trust lead; the read is audited."""
    require(actor, "retention.review", school_id)
    today = today or london_today()
    trust_id = session.scalar(select(School.trust_id).where(School.id == school_id))
    years = years_for(session, trust_id)
    core_years = [years[k] for k in RULES]
    plugin_dates = _plugin_dates(session, school_id, years, today)
    # nobody is due for a core record before the shortest core rule has run from their
    # birth; a plugin's records say their own dates
    born_by = review_date(today, -min(core_years))
    rows = session.execute(select(Pupil, _has_casefile(Pupil.id)).where(
        Pupil.school_id == school_id, (Pupil.date_of_birth <= born_by)
        | Pupil.id.in_([i for i, d in plugin_dates.items() if min(d.values()) <= today]))
        .order_by(Pupil.date_of_birth, Pupil.id)).all()
    holds = _active_holds(session, [p.id for p, _ in rows])
    found = [_status(p, bool(has), years, holds.get(p.id), today, plugin_dates.get(p.id))
             for p, has in rows]
    due = [r for r in found if r.due and r.hold is None]
    held = [r for r in found if r.due and r.hold is not None]
    audit.record(session, "retention.due_read", actor=actor, object_type="school",
                 object_id=school_id, school_id=school_id,
                 detail={"due": len(due), "held": len(held)})
    return due, held


def pupil_retention(session: Session, actor: Actor, school_id: int, pupil_id: int,
                    today: dt.date | None = None) -> tuple[PupilRetention, list[LegalHold]]:
    """One pupil's retention status and every hold ever set on them (newest first). The DSL
    team and the trust lead; audited."""
    pupil = get_pupil(session, actor, school_id, pupil_id, "retention.review")
    years = years_for(session, pupil.trust_id)
    has_file = bool(session.scalar(select(_has_casefile(pupil.id))))
    holds = list(session.scalars(select(LegalHold).where(LegalHold.pupil_id == pupil.id)
                                 .order_by(LegalHold.set_at.desc(), LegalHold.id.desc())))
    active = next((h for h in holds if h.lifted_at is None), None)
    today = today or london_today()
    status = _status(pupil, has_file, years, active, today,
                     _plugin_dates(session, school_id, years, today, [pupil.id]).get(pupil.id))
    audit.record(session, "retention.pupil_read", actor=actor, object_type="pupil",
                 object_id=pupil.id, school_id=school_id)
    return status, holds


def check_reason(reason: str | None, field: str = "reason") -> str:
    """The reason trimmed, or a ValidationError naming ``field`` (empty or too long)."""
    return _reason(reason, field)


def _reason(reason: str | None, field: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError({field: ["is required: say why (e.g. the IICSA instruction)"]})
    if len(text) > REASON_LIMIT:
        raise ValidationError({field: [f"must be at most {REASON_LIMIT} characters"]})
    return text


def set_hold(session: Session, actor: Actor, school_id: int, pupil_id: int,
             reason: str) -> LegalHold:
    """Place the pupil's records under a legal hold (the DSL team), with a reason. A second
    hold while one is in force is refused; audited."""
    pupil = get_pupil(session, actor, school_id, pupil_id, "retention.hold")
    reason = _reason(reason)
    current = _active_holds(session, [pupil.id]).get(pupil.id)
    if current is not None:
        raise ValidationError({"reason": [
            f"the records are already on hold since {uk_date(current.set_at.date())}"]})
    hold = LegalHold(school_id=school_id, pupil_id=pupil.id, reason=reason,
                     set_by_id=actor.user_id)
    session.add(hold)
    session.flush()
    audit.record(session, "retention.hold_set", actor=actor, object_type="pupil",
                 object_id=pupil.id, school_id=school_id,
                 detail={"hold_id": hold.id, "reason": reason})
    return hold


def lift_hold(session: Session, actor: Actor, school_id: int, pupil_id: int,
              reason: str) -> LegalHold:
    """Lift the hold in force (the DSL team), with a reason; the hold is kept as lifted.
    Lifting when none is in force is refused; audited."""
    pupil = get_pupil(session, actor, school_id, pupil_id, "retention.hold")
    reason = _reason(reason)
    hold = _active_holds(session, [pupil.id]).get(pupil.id)
    if hold is None:
        raise ValidationError({"hold": ["there is no legal hold in force on this pupil"]})
    hold.lifted_at, hold.lifted_by_id, hold.lift_reason = utcnow(), actor.user_id, reason
    session.flush()
    audit.record(session, "retention.hold_lifted", actor=actor, object_type="pupil",
                 object_id=pupil.id, school_id=school_id,
                 detail={"hold_id": hold.id, "reason": reason})
    return hold


def destroy(session: Session, actor: Actor, school_id: int, pupil_id: int, reason: str,
            today: dt.date | None = None) -> Destruction:
    """Destroy the content of the pupil's child-protection file once its retention has ended
    and no legal hold is in force (the DSL). Concerns naming only this pupil lose their
    account, the child's words, opinion and location, their entries' bodies and their files'
    names and bytes; flags lose their notes; agency contacts go. What stays: the rows with
    their dates and kinds (append-only, and the database allows only this blanking, for a
    concern named in ``destroyed_concerns``), the pupil's roll record, and a tombstone (what,
    when, who, under which rule). A concern that also names another pupil is kept (it is
    part of their file too) and listed in the tombstone. Audited."""
    pupil = get_pupil(session, actor, school_id, pupil_id, "retention.destroy")
    reason = _reason(reason)
    state = _status(pupil, bool(session.scalar(select(_has_casefile(pupil.id)))),
                    years_for(session, pupil.trust_id), None, today or london_today())
    if "child_protection" not in state.review_dates:
        raise ValidationError({"pupil": ["there is no child-protection content left to destroy"]})
    if "child_protection" not in state.due:
        raise ValidationError({"pupil": [
            f"retention runs until {uk_date(state.review_dates['child_protection'])}"]})
    if _active_holds(session, [pupil.id]):
        raise ValidationError({"hold": ["a legal hold is in force: lift it first, with a reason"]})
    concern_ids, shared = _destroyable_concerns(session, pupil.id)
    if not concern_ids and not session.scalar(select(
            exists().where(PupilFlag.pupil_id == pupil.id, PupilFlag.note != "")
            | exists().where(AgencyContact.pupil_id == pupil.id))):
        raise ValidationError({"pupil": [
            "only concerns shared with another pupil's file remain: they go with that file"]})
    tomb = Destruction(school_id=school_id, pupil_id=pupil.id, rule="child_protection",
                       rule_years=years_for(session, pupil.trust_id)["child_protection"],
                       review_date=state.review_dates["child_protection"], reason=reason,
                       destroyed_by_id=actor.user_id)
    session.add(tomb)
    session.flush()
    session.add_all(DestroyedConcern(school_id=school_id, destruction_id=tomb.id, concern_id=c)
                    for c in concern_ids)
    session.flush()
    tomb.summary = _blank(session, pupil.id, concern_ids) | {"kept_shared": shared}
    session.flush()
    audit.record(session, "retention.destroyed", actor=actor, object_type="pupil",
                 object_id=pupil.id, school_id=school_id,
                 detail={"destruction_id": tomb.id, "rule": tomb.rule,
                         "years": tomb.rule_years, "review_date": tomb.review_date,
                         "reason": reason, **tomb.summary})
    return tomb


def _destroyable_concerns(session: Session, pupil_id: int) -> tuple[list[int], list[int]]:
    """(the pupil's concerns not yet destroyed that name only them, those shared with another
    pupil)."""
    mine = set(session.scalars(select(ConcernPupil.concern_id).where(
        ConcernPupil.pupil_id == pupil_id, ConcernPupil.concern_id.not_in(
            select(DestroyedConcern.concern_id)))))
    shared = set(session.scalars(select(ConcernPupil.concern_id).where(
        ConcernPupil.concern_id.in_(mine), ConcernPupil.pupil_id != pupil_id)))
    return sorted(mine - shared), sorted(shared)


def _blank(session: Session, pupil_id: int, concern_ids: list[int]) -> dict:
    """Remove the content; the counts of what went."""
    entries = session.scalars(select(ConcernEntry.id).where(
        ConcernEntry.concern_id.in_(concern_ids))).all()
    files = session.scalars(select(Attachment.id).where(
        Attachment.concern_id.in_(concern_ids))).all()
    quiet = {"synchronize_session": False}
    session.execute(update(Concern).where(Concern.id.in_(concern_ids)).values(
        fact="", child_words="", opinion="", location="", body_map=null()),
        execution_options=quiet)
    session.execute(update(ConcernEntry).where(ConcernEntry.concern_id.in_(concern_ids))
                    .values(body="", body_map=null()), execution_options=quiet)
    session.execute(update(Attachment).where(Attachment.concern_id.in_(concern_ids))
                    .values(filename="", data=b""), execution_options=quiet)
    notes = session.execute(update(PupilFlag).where(PupilFlag.pupil_id == pupil_id,
                                                    PupilFlag.note != "")
                            .values(note=""), execution_options=quiet).rowcount
    gone = session.execute(delete(AgencyContact).where(AgencyContact.pupil_id == pupil_id),
                           execution_options=quiet).rowcount
    session.expire_all()
    return {"concerns": concern_ids, "entries": len(entries), "attachments": len(files),
            "flag_notes": notes, "agency_contacts": gone}


def destructions(session: Session, actor: Actor, school_id: int,
                 pupil_id: int) -> list[Destruction]:
    """The tombstones of the pupil's destroyed content, newest first (the DSL team and the
    trust lead; the caller's read of the pupil's retention is audited)."""
    pupil = get_pupil(session, actor, school_id, pupil_id, "retention.review")
    return list(session.scalars(select(Destruction).where(Destruction.pupil_id == pupil.id)
                                .order_by(Destruction.destroyed_at.desc())))
