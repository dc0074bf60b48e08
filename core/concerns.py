"""Recording concerns and the DSL's append-only work on them."""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from core import alerts, audit, bodymap, concern_search
from core.calendar import london_today
from core.concern_search import ConcernFilters, ConcernRow, status_column  # noqa: F401
from core.db import get_in_school, utcnow
from core.entrylog import Draft, EntryLog, EntryRule, Errors, Field
from core.errors import NotFound, ValidationError
from core.filetypes import ACCEPTED, content_problem
from core.models import (
    Attachment,
    Concern,
    ConcernCategory,
    ConcernCategoryLink,
    ConcernEntry,
    ConcernPupil,
    Membership,
    Pupil,
    User,
)
from core.models.concerns import ENTRY_KINDS, REFERRAL_TARGETS, RISK_LEVELS
from core.plugins import current_host
from core.policy import Actor, can, require
from core.schools import trust_of, trust_setting

ACCUMULATION_DEFAULT = {"count": 3, "days": 30}
ACTION_OWNER_ROLES = ("staff", "dsl", "deputy_dsl", "headteacher")
ALLOWED_TYPES = ACCEPTED  # checked against the file's first bytes: core.filetypes


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
                   recorded_at: dt.datetime | None = None,
                   body_map: list[dict] | None = None) -> Concern:
    """Record a concern exactly as the member of staff gives it. No threshold: a niggle is
    enough. ``actor`` None is a plugin acting for the system (an Encompass notification).
    ``body_map``: marks seen on the child's body (see :mod:`core.bodymap`)."""
    if actor is not None:
        require(actor, "concern.record", school_id)
    trust_id = trust_of(session, school_id)
    pupil_ids = list(dict.fromkeys(pupil_ids or []))
    category_ids = list(dict.fromkeys(category_ids or []))
    marks, map_errors = bodymap.clean(body_map)
    errors = {
        **map_errors,
        **_check_account(fact, occurred_at, location),
        **_check_pupils(session, school_id, pupil_ids),
        **_check_categories(session, trust_id, category_ids),
        **_check_attachments(attachments, max_attachment_bytes),
    }
    if errors:
        raise ValidationError(errors)
    concern = Concern(school_id=school_id, trust_id=trust_id,
                      recorded_by_id=actor.user_id if actor else None,
                      occurred_at=occurred_at, location=(location or "").strip(),
                      fact=fact.strip(), child_words=(child_words or "").strip(),
                      opinion=(opinion or "").strip(), source=source,
                      recorded_at=recorded_at or utcnow(), body_map=marks or None)
    session.add(concern)
    session.flush()
    _store_links(session, concern, pupil_ids, category_ids, attachments, actor)
    audit.record(session, "concern.recorded", actor=actor, object_type="concern", object_id=concern.id,
                 school_id=school_id, detail={"pupils": pupil_ids, "source": source})
    for pid in pupil_ids:
        check_accumulation(session, school_id, pid)
    current_host().call_for_school(session, school_id, "mat_concern_recorded",
                                   concern_id=concern.id)
    return concern


def _check_account(fact: str, occurred_at: dt.datetime, location: str) -> Errors:
    errors: Errors = {}
    if not (fact or "").strip():
        errors["fact"] = ["say what you saw or heard"]
    if not isinstance(occurred_at, dt.datetime) or occurred_at.tzinfo is None:
        errors["occurred_at"] = ["is required (a date and time)"]
    elif occurred_at > utcnow() + dt.timedelta(minutes=5):
        errors["occurred_at"] = ["cannot be in the future"]
    if len(location or "") > 200:
        errors["location"] = ["must be at most 200 characters"]
    return errors


def _check_pupils(session: Session, school_id: int, pupil_ids: list[int]) -> Errors:
    if not pupil_ids:
        return {"pupil_ids": ["choose at least one pupil"]}
    found = set(session.scalars(select(Pupil.id).where(Pupil.id.in_(pupil_ids),
                                                       Pupil.school_id == school_id)))
    if missing := [p for p in pupil_ids if p not in found]:
        return {"pupil_ids": [f"no pupil {p} in this school" for p in missing]}
    return {}


def _check_categories(session: Session, trust_id: int, category_ids: list[int]) -> Errors:
    if not category_ids:
        return {}
    valid = set(session.scalars(select(ConcernCategory.id).where(
        ConcernCategory.id.in_(category_ids), ConcernCategory.trust_id == trust_id,
        ConcernCategory.active.is_(True))))
    if bad := [c for c in category_ids if c not in valid]:
        return {"category_ids": [f"unknown category {c}" for c in bad]}
    return {}


def _check_attachments(attachments: list[NewAttachment], max_bytes: int) -> Errors:
    errors: Errors = {}
    for i, a in enumerate(attachments):
        if len(a.data) > max_bytes:
            errors[f"attachments.{i}"] = [f"{a.filename} is larger than "
                                          f"{max_bytes // (1024 * 1024)} MB"]
        elif problem := content_problem(a.content_type, a.data):
            errors[f"attachments.{i}"] = [f"{a.filename}: {problem}"]
    return errors


def _store_links(session: Session, concern: Concern, pupil_ids: list[int],
                 category_ids: list[int], attachments: list[NewAttachment],
                 actor: Actor | None) -> None:
    tenant = {"school_id": concern.school_id, "trust_id": concern.trust_id,
              "concern_id": concern.id}
    session.add_all([ConcernPupil(**tenant, pupil_id=pid) for pid in pupil_ids])
    session.add_all([ConcernCategoryLink(**tenant, category_id=cid) for cid in category_ids])
    _store_attachments(session, tenant, attachments, actor)
    session.flush()


def _store_attachments(session: Session, tenant: dict, attachments: list[NewAttachment],
                       actor: Actor | None, entry_id: int | None = None) -> None:
    session.add_all([Attachment(**tenant, filename=a.filename[:255], content_type=a.content_type,
                                size=len(a.data), sha256=hashlib.sha256(a.data).hexdigest(),
                                data=a.data, uploaded_by_id=actor.user_id if actor else None,
                                entry_id=entry_id)
                     for a in attachments])


def check_accumulation(session: Session, school_id: int, pupil_id: int) -> bool:
    """Flag the pupil for the DSL when ``count`` concerns fall within ``days`` (trust setting
    ``concern_accumulation``): one standing alert per pupil, updated with each further concern
    while open, and resolved when a check finds the pupil below the threshold again (a later
    accumulation then opens a new alert). Returns whether a new alert was raised."""
    trust_id = trust_of(session, school_id)
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
    concern = get_in_school(session, Concern, concern_id, school_id, "concern")
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
    atts = [a for a in session.scalars(select(Attachment).where(
        Attachment.concern_id == concern.id).order_by(Attachment.id))
        if full or a.entry_id is None]  # files of the team's entries are the team's
    audit.record(session, "concern.read", actor=actor, object_type="concern", object_id=concern.id,
                 school_id=school_id, detail={"view": "full" if full else "own"})
    return ConcernView(concern, pupils, categories, entries if full else [], atts,
                       concern_status(entries), can(actor, "casefile.write", school_id))


def entries_of(session: Session, concern_id: int) -> list[ConcernEntry]:
    return list(session.scalars(select(ConcernEntry).where(ConcernEntry.concern_id == concern_id)
                                .order_by(ConcernEntry.created_at, ConcernEntry.id)))


def get_attachment(session: Session, actor: Actor, school_id: int, concern_id: int,
                   attachment_id: int) -> Attachment:
    view = get_concern(session, actor, school_id, concern_id)  # same access rule, audited
    att = next((a for a in view.attachments if a.id == attachment_id), None)
    if att is None:
        raise NotFound("attachment")
    audit.record(session, "attachment.read", actor=actor, object_type="attachment", object_id=att.id,
                 school_id=school_id)
    return att


def _category_of_trust(draft: Draft, category_id: int) -> list[str] | None:
    found = draft.session.scalar(select(ConcernCategory.id).where(
        ConcernCategory.id == category_id, ConcernCategory.trust_id == draft.parent.trust_id))
    return None if found is not None else ["unknown category"]


def _due_date_ahead(draft: Draft, due: object) -> list[str] | None:
    if not isinstance(due, dt.date):
        return ["an action needs a due date"]
    history = draft.values.get("created_at") is not None
    if not history and due < london_today() - dt.timedelta(days=1):
        return ["cannot be in the past"]
    return None


def _action_not_done_yet(draft: Draft) -> Errors | None:
    if any(e.kind == "action_done" and e.refers_to_id == draft.refers_to_id
           and draft.refers_to_id is not None for e in draft.entries):
        return {"refers_to_id": ["that action is already marked done"]}
    return None


def _owner_works_here(draft: Draft, owner_id: int) -> list[str] | None:
    """An action's owner is one of the school's staff or its DSL team (not an admin role
    alone: admins never read case files)."""
    found = draft.session.scalar(select(Membership.id).join(
        User, User.id == Membership.user_id).where(
        Membership.user_id == owner_id, Membership.school_id == draft.parent.school_id,
        Membership.role.in_(ACTION_OWNER_ROLES), User.active.is_(True)).limit(1))
    return None if found is not None else ["choose a member of this school's staff"]


def _marks_on_the_map(draft: Draft, marks: list) -> list[str] | None:
    _, errors = bodymap.clean(marks)
    return [f"{k.removeprefix('body_map.')}: {'; '.join(v)}" for k, v in errors.items()] or None


def _one_of(options: tuple[str, ...]) -> Callable[[Draft, object], list[str] | None]:
    return lambda _draft, value: None if value in options else [f"one of {', '.join(options)}"]


#: The DSL's entries on a concern, one rule per kind (see :mod:`core.entrylog`).
ENTRIES = EntryLog("concern entries", [
    EntryRule("triage", "Triage", requires=("risk_level",), takes=("category_id", "body_map"),
              refused_in=("closed",), refused_message="reopen the concern first"),
    EntryRule("action", "Action", body=True, requires=("due_date", "owner_id"),
              takes=("category_id",)),
    EntryRule("action_done", "Action done", takes=("category_id",), refers_to="action",
              refers_message="must name a action entry of this concern",
              checks=(_action_not_done_yet,)),
    EntryRule("decision", "Decision", body=True, takes=("category_id",)),
    EntryRule("referral", "Referral", body=True, requires=("referral_to",),
              takes=("category_id",)),
    EntryRule("outcome", "Outcome", body=True, takes=("category_id",), refers_to="referral",
              refers_message="must name a referral entry of this concern"),
    EntryRule("amendment", "Amendment", body=True, takes=("category_id", "body_map"),
              refers_to="*",
              refers_optional=True,
              refers_message="must name an entry of this concern (or none, for the record)"),
    EntryRule("note", "Note", body=True, takes=("category_id", "body_map")),
    EntryRule("closure", "Closure", body=True, takes=("category_id",), refused_in=("closed",),
              refused_message="this concern is already closed"),
    EntryRule("reopened", "Reopened", body=True, takes=("category_id",), allowed_in=("closed",),
              refused_message="only a closed concern can be reopened"),
], fields=[
    Field("risk_level", check=_one_of(RISK_LEVELS),
          required_message=f"one of {', '.join(RISK_LEVELS)}",
          stray_message="is only given when triaging"),
    Field("category_id", check=_category_of_trust),
    Field("due_date", check=_due_date_ahead, required_message="an action needs a due date"),
    Field("referral_to", check=_one_of(REFERRAL_TARGETS),
          required_message=f"one of {', '.join(REFERRAL_TARGETS)}"),
    Field("owner_id", check=_owner_works_here, required_message="choose who is to do it",
          stray_message="only an action has an owner"),
    Field("body_map", check=_marks_on_the_map,
          stray_message="a body map goes with a triage, a note or an amendment"),
], audit_prefix="concern", object_type="concern")
assert ENTRIES.kinds == ENTRY_KINDS, "the entry kinds of the model and of the log differ"


def add_entry(session: Session, actor: Actor, school_id: int, concern_id: int, kind: str, *,
              body: str = "", risk_level: str | None = None, category_id: int | None = None,
              due_date: dt.date | None = None, referral_to: str | None = None,
              refers_to_id: int | None = None, owner_id: int | None = None,
              body_map: list[dict] | None = None, attachments: list[NewAttachment] = (),
              max_attachment_bytes: int = 10 * 1024 * 1024,
              created_at: dt.datetime | None = None) -> ConcernEntry:
    """Append a DSL entry (``created_at`` only for history brought in: demo, transfers). What
    each kind needs, and when it may be added, is its rule in :data:`ENTRIES`. An action is
    owned by ``owner_id`` (by its author when none is named); files may come with any entry."""
    require(actor, "casefile.write", school_id)
    concern = get_in_school(session, Concern, concern_id, school_id, "concern")
    entries = entries_of(session, concern_id)
    rule = ENTRIES.rule(kind)
    draft = Draft(kind, (body or "").strip(),
                  {"risk_level": risk_level, "category_id": category_id, "due_date": due_date,
                   "referral_to": referral_to, "created_at": created_at,
                   "owner_id": owner_id or (actor.user_id if kind == "action" else None),
                   "body_map": body_map},
                  entries, concern_status(entries), session, actor, concern,
                  refers_to_id if rule.refers_to else None)
    if problems := _check_attachments(attachments, max_attachment_bytes):
        raise ValidationError(problems)
    kept = ENTRIES.check(draft)
    if "body_map" in kept:
        kept["body_map"] = bodymap.clean(kept["body_map"])[0]
    entry = ConcernEntry(school_id=school_id, trust_id=concern.trust_id, concern_id=concern_id,
                         kind=kind, author_id=actor.user_id, body=draft.body,
                         refers_to_id=draft.refers_to_id, created_at=created_at or utcnow(),
                         **kept)
    ENTRIES.append(draft, entry, object_id=concern_id, school_id=school_id)
    if attachments:
        _store_attachments(session, {"school_id": school_id, "trust_id": concern.trust_id,
                                     "concern_id": concern_id}, attachments, actor, entry.id)
        session.flush()
    current_host().call_for_school(session, school_id, "mat_concern_entry_added",
                                   concern_id=concern_id, entry_id=entry.id)
    return entry


def list_concerns(session: Session, actor: Actor, school_id: int, *,
                  status: str | tuple[str, ...] | None = None, pupil_id: int | None = None,
                  mine: bool = False, recorded_before: dt.datetime | None = None,
                  limit: int = 200, filters: ConcernFilters | None = None) -> list[ConcernRow]:
    """The first ``limit`` concerns of a school for the DSL team, or one's own (``mine``) for
    anyone who records; newest first (equal times by id), narrowed by ``filters`` (words,
    category, dates, risk, ...) and ``status`` (one or several) before the limit. Pages, the
    search's audit and the CSV export are :mod:`core.concern_search`'s."""
    wanted = filters or ConcernFilters()
    if status:
        wanted = replace(wanted, status=(status,) if isinstance(status, str) else tuple(status))
    if pupil_id is not None:
        wanted = replace(wanted, pupil_id=pupil_id)
    return concern_search.list_rows(session, actor, school_id, wanted, mine=mine,
                                    recorded_before=recorded_before, limit=limit)


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
