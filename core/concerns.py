"""Recording concerns and the DSL's append-only work on them."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from core import alerts, audit
from core.calendar import london_today
from core.db import utcnow
from core.errors import NotFound, ValidationError
from core.models import (
    Attachment,
    Concern,
    ConcernCategory,
    ConcernCategoryLink,
    ConcernEntry,
    ConcernPupil,
    Pupil,
    School,
)
from core.models.concerns import ENTRY_KINDS, REFERRAL_TARGETS, RISK_LEVELS
from core.plugins import current_host
from core.policy import Actor, can, require
from core.schools import trust_setting

ACCUMULATION_DEFAULT = {"count": 3, "days": 30}
ALLOWED_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "text/plain",
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "application/msword"}


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content_type: str
    data: bytes


def record_concern(session: Session, actor: Actor | None, school_id: int, *,
                   occurred_at: dt.datetime, pupil_ids: list[int], fact: str,
                   location: str = "", category_ids: list[int] | None = None,
                   child_words: str = "", opinion: str = "",
                   attachments: list[NewAttachment] = (), source: str = "staff",
                   max_attachment_bytes: int = 10 * 1024 * 1024,
                   recorded_at: dt.datetime | None = None) -> Concern:
    """Record a concern exactly as the member of staff gives it. No threshold: a niggle is
    enough. ``actor`` None is a plugin acting for the system (an Encompass notification)."""
    if actor is not None:
        require(actor, "concern.record", school_id)
    errors: dict[str, list[str]] = {}
    if not (fact or "").strip():
        errors["fact"] = ["say what you saw or heard"]
    if not isinstance(occurred_at, dt.datetime) or occurred_at.tzinfo is None:
        errors["occurred_at"] = ["is required (a date and time)"]
    elif occurred_at > utcnow() + dt.timedelta(minutes=5):
        errors["occurred_at"] = ["cannot be in the future"]
    pupil_ids = list(dict.fromkeys(pupil_ids or []))
    if not pupil_ids:
        errors["pupil_ids"] = ["choose at least one pupil"]
    else:
        found = set(session.scalars(select(Pupil.id).where(Pupil.id.in_(pupil_ids),
                                                           Pupil.school_id == school_id)))
        if missing := [p for p in pupil_ids if p not in found]:
            errors["pupil_ids"] = [f"no pupil {p} in this school" for p in missing]
    trust_id = session.scalar(select(School.trust_id).where(School.id == school_id))
    category_ids = list(dict.fromkeys(category_ids or []))
    if category_ids:
        valid = set(session.scalars(select(ConcernCategory.id).where(
            ConcernCategory.id.in_(category_ids), ConcernCategory.trust_id == trust_id,
            ConcernCategory.active.is_(True))))
        if bad := [c for c in category_ids if c not in valid]:
            errors["category_ids"] = [f"unknown category {c}" for c in bad]
    for i, a in enumerate(attachments):
        if len(a.data) > max_attachment_bytes:
            errors[f"attachments.{i}"] = [f"{a.filename} is larger than "
                                          f"{max_attachment_bytes // (1024 * 1024)} MB"]
        elif a.content_type not in ALLOWED_TYPES:
            errors[f"attachments.{i}"] = [f"{a.filename}: files of type {a.content_type} "
                                          "are not accepted"]
    if len(location or "") > 200:
        errors["location"] = ["must be at most 200 characters"]
    if errors:
        raise ValidationError(errors)

    concern = Concern(school_id=school_id, trust_id=trust_id,
                      recorded_by_id=actor.user_id if actor else None,
                      occurred_at=occurred_at, location=(location or "").strip(),
                      fact=fact.strip(), child_words=(child_words or "").strip(),
                      opinion=(opinion or "").strip(), source=source,
                      recorded_at=recorded_at or utcnow())
    session.add(concern)
    session.flush()
    for pid in pupil_ids:
        session.add(ConcernPupil(school_id=school_id, trust_id=trust_id, concern_id=concern.id,
                                 pupil_id=pid))
    for cid in category_ids:
        session.add(ConcernCategoryLink(school_id=school_id, trust_id=trust_id,
                                        concern_id=concern.id, category_id=cid))
    for a in attachments:
        session.add(Attachment(school_id=school_id, trust_id=trust_id, concern_id=concern.id,
                               filename=a.filename[:255], content_type=a.content_type,
                               size=len(a.data), sha256=hashlib.sha256(a.data).hexdigest(),
                               data=a.data, uploaded_by_id=actor.user_id if actor else None))
    session.flush()
    audit.record(session, "concern.recorded", actor=actor, object_type="concern", object_id=concern.id,
                 school_id=school_id, detail={"pupils": pupil_ids, "source": source})
    for pid in pupil_ids:
        check_accumulation(session, school_id, pid)
    current_host().call_for_school(session, school_id, "mat_concern_recorded",
                                   concern_id=concern.id)
    return concern


def check_accumulation(session: Session, school_id: int, pupil_id: int) -> bool:
    """Flag the pupil for the DSL when ``count`` concerns fall within ``days`` (trust setting
    ``concern_accumulation``): one standing alert per pupil, updated with each further concern
    while open, and resolved when a check finds the pupil below the threshold again (a later
    accumulation then opens a new alert). Returns whether a new alert was raised."""
    trust_id = session.scalar(select(School.trust_id).where(School.id == school_id))
    rule = trust_setting(session, trust_id, "concern_accumulation", ACCUMULATION_DEFAULT)
    since = utcnow() - dt.timedelta(days=int(rule["days"]))
    rows = session.execute(
        select(Concern.id, Concern.occurred_at).join(
            ConcernPupil, and_(ConcernPupil.concern_id == Concern.id,
                               ConcernPupil.school_id == Concern.school_id))
        .where(ConcernPupil.pupil_id == pupil_id, Concern.occurred_at >= since)
        .order_by(Concern.occurred_at, Concern.id)).all()
    key = f"accumulation:{pupil_id}"
    if len(rows) < int(rule["count"]):
        alerts.resolve(session, school_id, key)
        return False
    newest = rows[-1].id
    _, new = alerts.raise_standing_alert(
        session, school_id, "concern_accumulation",
        f"{len(rows)} concerns in the last {rule['days']} days: look at the whole picture",
        rule_key=key, pupil_id=pupil_id, concern_id=newest,
        link=f"/schools/{school_id}/pupils/{pupil_id}")
    return new


def concern_status(entries: list[ConcernEntry]) -> str:
    """``awaiting_triage`` until triaged, ``closed`` after a closure (unless reopened),
    otherwise ``open``."""
    status = "awaiting_triage"
    for e in sorted(entries, key=lambda e: (e.created_at, e.id)):
        if e.kind == "triage" and status == "awaiting_triage":
            status = "open"
        elif e.kind == "closure":
            status = "closed"
        elif e.kind == "reopened":
            status = "open"
        elif e.kind != "amendment" and status == "awaiting_triage" and e.kind != "note":
            status = "open"
    return status


@dataclass
class ConcernView:
    concern: Concern
    pupils: list[Pupil]
    categories: list[ConcernCategory]
    entries: list[ConcernEntry]
    attachments: list[Attachment]
    status: str
    can_write: bool


def get_concern(session: Session, actor: Actor, school_id: int, concern_id: int) -> ConcernView:
    """Read a concern: the DSL team read the whole case file; the person who recorded it sees
    their own record (not the DSL's entries). Every read is audited."""
    concern = session.get(Concern, concern_id)
    if concern is None or concern.school_id != school_id:
        raise NotFound("concern")
    full = can(actor, "casefile.read", school_id)
    own = concern.recorded_by_id is not None and concern.recorded_by_id == actor.user_id \
        and can(actor, "concern.record", school_id)
    if not (full or own):
        raise NotFound("concern")
    pupils = list(session.scalars(select(Pupil).join(
        ConcernPupil, and_(ConcernPupil.pupil_id == Pupil.id,
                           ConcernPupil.school_id == Pupil.school_id))
        .where(ConcernPupil.concern_id == concern.id).order_by(Pupil.last_name)))
    categories = list(session.scalars(select(ConcernCategory).join(
        ConcernCategoryLink, ConcernCategoryLink.category_id == ConcernCategory.id)
        .where(ConcernCategoryLink.concern_id == concern.id)
        .order_by(ConcernCategory.position)))
    entries = entries_of(session, concern.id)
    atts = list(session.scalars(select(Attachment).where(Attachment.concern_id == concern.id)))
    audit.record(session, "concern.read", actor=actor, object_type="concern", object_id=concern.id,
                 school_id=school_id, detail={"view": "full" if full else "own"})
    return ConcernView(concern, pupils, categories, entries if full else [], atts,
                       concern_status(entries), can(actor, "casefile.write", school_id))


def entries_of(session: Session, concern_id: int) -> list[ConcernEntry]:
    return list(session.scalars(select(ConcernEntry).where(ConcernEntry.concern_id == concern_id)
                                .order_by(ConcernEntry.created_at, ConcernEntry.id)))


def get_attachment(session: Session, actor: Actor, school_id: int, concern_id: int,
                   attachment_id: int) -> Attachment:
    get_concern(session, actor, school_id, concern_id)  # same access rule, audited
    att = session.get(Attachment, attachment_id)
    if att is None or att.concern_id != concern_id or att.school_id != school_id:
        raise NotFound("attachment")
    audit.record(session, "attachment.read", actor=actor, object_type="attachment", object_id=att.id,
                 school_id=school_id)
    return att


def add_entry(session: Session, actor: Actor, school_id: int, concern_id: int, kind: str, *,
              body: str = "", risk_level: str | None = None, category_id: int | None = None,
              due_date: dt.date | None = None, referral_to: str | None = None,
              refers_to_id: int | None = None,
              created_at: dt.datetime | None = None) -> ConcernEntry:
    """Append a DSL entry (``created_at`` only for history brought in: demo, transfers).

    What each kind needs:

    - ``triage``: a risk level (and optionally the category the DSL settles on);
    - ``action``: what is to be done and a due date; ``action_done``: the action it completes;
    - ``decision``: the rationale; ``referral``: to whom and why; ``outcome``: the referral
      it answers and what came of it; ``amendment``: the correction (and the entry it
      corrects, or none for the original record); ``closure``: why; ``reopened``: why.
    """
    require(actor, "casefile.write", school_id)
    concern = session.get(Concern, concern_id)
    if concern is None or concern.school_id != school_id:
        raise NotFound("concern")
    entries = entries_of(session, concern_id)
    by_id = {e.id: e for e in entries}
    status = concern_status(entries)
    body = (body or "").strip()
    errors: dict[str, list[str]] = {}
    if kind not in ENTRY_KINDS:
        raise ValidationError({"kind": [f"one of {', '.join(ENTRY_KINDS)}"]})
    needs_body = {"action", "decision", "referral", "outcome", "amendment", "note", "closure",
                  "reopened"}
    if kind in needs_body and not body:
        errors["body"] = ["is required for this kind of entry"]
    if kind == "triage":
        if risk_level not in RISK_LEVELS:
            errors["risk_level"] = [f"one of {', '.join(RISK_LEVELS)}"]
    elif risk_level is not None:
        errors["risk_level"] = ["is only given when triaging"]
    if category_id is not None:
        trust_cat = session.scalar(select(ConcernCategory.id).where(
            ConcernCategory.id == category_id, ConcernCategory.trust_id == concern.trust_id))
        if trust_cat is None:
            errors["category_id"] = ["unknown category"]
    if kind == "action":
        if not isinstance(due_date, dt.date):
            errors["due_date"] = ["an action needs a due date"]
        elif created_at is None and due_date < london_today() - dt.timedelta(days=1):
            errors["due_date"] = ["cannot be in the past"]
    if kind == "referral" and referral_to not in REFERRAL_TARGETS:
        errors["referral_to"] = [f"one of {', '.join(REFERRAL_TARGETS)}"]
    wanted = {"action_done": "action", "outcome": "referral"}
    if kind in wanted:
        target = by_id.get(refers_to_id)
        if target is None or target.kind != wanted[kind]:
            errors["refers_to_id"] = [f"must name a {wanted[kind]} entry of this concern"]
        elif kind == "action_done" and any(e.kind == "action_done" and e.refers_to_id == target.id
                                          for e in entries):
            errors["refers_to_id"] = ["that action is already marked done"]
    if kind == "amendment" and refers_to_id is not None and refers_to_id not in by_id:
        errors["refers_to_id"] = ["must name an entry of this concern (or none, for the record)"]
    if kind == "closure" and status == "closed":
        errors["kind"] = ["this concern is already closed"]
    if kind == "reopened" and status != "closed":
        errors["kind"] = ["only a closed concern can be reopened"]
    if kind in ("triage",) and status == "closed":
        errors["kind"] = ["reopen the concern first"]
    if errors:
        raise ValidationError(errors)
    entry = ConcernEntry(school_id=school_id, trust_id=concern.trust_id, concern_id=concern_id,
                         kind=kind, author_id=actor.user_id, body=body, risk_level=risk_level,
                         category_id=category_id, due_date=due_date if kind == "action" else None,
                         referral_to=referral_to if kind == "referral" else None,
                         refers_to_id=refers_to_id, created_at=created_at or utcnow())
    session.add(entry)
    session.flush()
    audit.record(session, f"concern.{kind}", actor=actor, object_type="concern", object_id=concern_id,
                 school_id=school_id, detail={"entry_id": entry.id})
    current_host().call_for_school(session, school_id, "mat_concern_entry_added",
                                   concern_id=concern_id, entry_id=entry.id)
    return entry


@dataclass
class ConcernRow:
    id: int
    recorded_at: dt.datetime
    occurred_at: dt.datetime
    pupils: list[str]
    status: str
    source: str


def status_column():
    """Each concern's status as SQL, by the same rule as :func:`concern_status` (closed when
    its latest closure/reopening is a closure; open once a DSL has worked on it; otherwise
    awaiting triage), so lists filter and count in the database rather than in Python."""
    same = and_(ConcernEntry.concern_id == Concern.id, ConcernEntry.school_id == Concern.school_id)
    latest_turn = (select(ConcernEntry.kind)
                   .where(same, ConcernEntry.kind.in_(("closure", "reopened")))
                   .order_by(ConcernEntry.created_at.desc(), ConcernEntry.id.desc()).limit(1)
                   .correlate(Concern).scalar_subquery())
    worked = exists().where(same, ConcernEntry.kind.not_in(("amendment", "note")))
    return case((latest_turn == "closure", "closed"), (worked, "open"),
                else_="awaiting_triage")


def list_concerns(session: Session, actor: Actor, school_id: int, *,
                  status: str | tuple[str, ...] | None = None, pupil_id: int | None = None,
                  mine: bool = False, recorded_before: dt.datetime | None = None,
                  limit: int = 200) -> list[ConcernRow]:
    """Concerns of a school for the DSL team, or one's own (``mine``) for anyone who records;
    newest first, filtered by status (one or several) before the limit is applied."""
    if mine:
        require(actor, "concern.record", school_id)
    else:
        require(actor, "casefile.read", school_id)
    state = status_column().label("status")
    stmt = select(Concern, state).where(Concern.school_id == school_id)
    if mine:
        stmt = stmt.where(Concern.recorded_by_id == actor.user_id)
    if pupil_id is not None:
        stmt = stmt.where(exists().where(ConcernPupil.concern_id == Concern.id,
                                         ConcernPupil.pupil_id == pupil_id))
    if status:
        stmt = stmt.where(state.in_((status,) if isinstance(status, str) else status))
    if recorded_before is not None:
        stmt = stmt.where(Concern.recorded_at < recorded_before)
    found = session.execute(stmt.order_by(Concern.recorded_at.desc()).limit(limit)).all()
    ids = [c.id for c, _ in found]
    names: dict[int, list[str]] = {i: [] for i in ids}
    for cid, first, pref, last in session.execute(
            select(ConcernPupil.concern_id, Pupil.first_name, Pupil.preferred_name, Pupil.last_name)
            .join(Pupil, and_(Pupil.id == ConcernPupil.pupil_id,
                              Pupil.school_id == ConcernPupil.school_id))
            .where(ConcernPupil.concern_id.in_(ids))):
        names[cid].append(f"{pref or first} {last}")
    return [ConcernRow(c.id, c.recorded_at, c.occurred_at, sorted(names[c.id]), st, c.source)
            for c, st in found]


@dataclass
class OverdueAction:
    concern_id: int
    entry_id: int
    body: str
    due_date: dt.date


def overdue_actions(session: Session, school_id: int, today: dt.date | None = None
                    ) -> list[OverdueAction]:
    """Actions past their due date with no ``action_done`` entry."""
    today = today or london_today()
    done = select(ConcernEntry.refers_to_id).where(ConcernEntry.kind == "action_done",
                                                   ConcernEntry.school_id == school_id)
    rows = session.scalars(select(ConcernEntry).where(
        ConcernEntry.school_id == school_id, ConcernEntry.kind == "action",
        ConcernEntry.due_date < today, ConcernEntry.id.not_in(done))
        .order_by(ConcernEntry.due_date))
    return [OverdueAction(e.concern_id, e.id, e.body, e.due_date) for e in rows]


def open_counts(session: Session, school_id: int) -> dict[str, int]:
    """How many concerns are awaiting triage, open and closed in a school."""
    counts = {"awaiting_triage": 0, "open": 0, "closed": 0}
    state = status_column()
    for st, n in session.execute(select(state, func.count()).where(
            Concern.school_id == school_id).group_by(state)):
        counts[st] = n
    return counts


def categories(session: Session, trust_id: int, include_inactive: bool = False
               ) -> list[ConcernCategory]:
    stmt = select(ConcernCategory).where(ConcernCategory.trust_id == trust_id)
    if not include_inactive:
        stmt = stmt.where(ConcernCategory.active.is_(True))
    return list(session.scalars(stmt.order_by(ConcernCategory.position, ConcernCategory.label)))


def concerns_count(session: Session, school_id: int, start: dt.datetime, end: dt.datetime) -> int:
    return session.scalar(select(func.count()).select_from(Concern).where(
        Concern.school_id == school_id, Concern.recorded_at >= start, Concern.recorded_at < end))
