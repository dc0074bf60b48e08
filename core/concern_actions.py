"""Actions on concerns as work owned by people: "my actions", completing one's own action,
overdue actions that name the pupil and the owner, and reminders to owners.

An action is a DSL entry of kind ``action`` with a due date and an owner (see
:data:`core.concerns.ENTRIES`); it is done when an ``action_done`` entry names it. Owners may
be staff outside the DSL team (the class teacher who is to check in with the child): they see
their own actions (what, by when, for which pupil) and can record one as done, but not the
rest of the case file. Every list of actions shown to a person is audited, since the text of
an action is part of the case file.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import london_today
from core.concerns import ENTRIES, add_entry
from core.db import SYSTEM, current_database, get_in_school, system_scope
from core.errors import NotFound, ValidationError
from core.mail import queue_mail
from core.models import ConcernEntry, ConcernPupil, Pupil, School, User
from core.policy import Actor, can


@dataclass
class ActionRow:
    school_id: int
    school_name: str
    concern_id: int
    entry_id: int
    body: str
    due_date: dt.date
    pupils: list[str]
    owner_id: int | None
    owner_name: str
    overdue: bool
    can_open_case: bool  # the viewer may read the case file itself
    done: bool = False


def _done_ids(school_ids: list[int] | None = None):
    stmt = select(ConcernEntry.refers_to_id).where(ConcernEntry.kind == "action_done",
                                                   ConcernEntry.refers_to_id.is_not(None))
    if school_ids is not None:
        stmt = stmt.where(ConcernEntry.school_id.in_(school_ids))
    return stmt


def _rows(session: Session, actor: Actor | None, entries: list[ConcernEntry],
          today: dt.date) -> list[ActionRow]:
    concern_ids = {e.concern_id for e in entries}
    names: dict[int, list[str]] = {}
    for cid, first, pref, last in session.execute(
            select(ConcernPupil.concern_id, Pupil.first_name, Pupil.preferred_name,
                   Pupil.last_name)
            .join(Pupil, and_(Pupil.id == ConcernPupil.pupil_id,
                              Pupil.school_id == ConcernPupil.school_id))
            .where(ConcernPupil.concern_id.in_(concern_ids))):
        names.setdefault(cid, []).append(f"{pref or first} {last}")
    owners = dict(session.execute(select(User.id, User.name).where(
        User.id.in_({e.owner_id for e in entries if e.owner_id}))).all())
    schools = dict(session.execute(select(School.id, School.name).where(
        School.id.in_({e.school_id for e in entries}))).all())
    done = set(session.scalars(_done_ids().where(
        ConcernEntry.refers_to_id.in_([e.id for e in entries]))))
    return [ActionRow(e.school_id, schools.get(e.school_id, ""), e.concern_id, e.id, e.body,
                      e.due_date, sorted(names.get(e.concern_id, [])), e.owner_id,
                      owners.get(e.owner_id, "") if e.owner_id else "",
                      e.due_date < today and e.id not in done,
                      actor is not None and can(actor, "casefile.read", e.school_id),
                      e.id in done)
            for e in entries]


def my_actions(session: Session, actor: Actor, *, include_done: bool = False,
               today: dt.date | None = None) -> list[ActionRow]:
    """The actions ``actor`` owns in the schools the session may read, soonest due first;
    open ones only unless ``include_done``. Audited (action text is case-file content)."""
    today = today or london_today()
    stmt = select(ConcernEntry).where(ConcernEntry.kind == "action",
                                      ConcernEntry.owner_id == actor.user_id)
    if not include_done:
        stmt = stmt.where(ConcernEntry.id.not_in(_done_ids()))
    entries = list(session.scalars(stmt.order_by(ConcernEntry.due_date, ConcernEntry.id)))
    rows = _rows(session, actor, entries, today)
    for school_id in sorted({r.school_id for r in rows}):
        audit.record(session, "actions.mine_read", actor=actor, object_type="user",
                     object_id=actor.user_id, school_id=school_id,
                     detail={"entries": [r.entry_id for r in rows if r.school_id == school_id]})
    return rows


def complete_action(session: Session, actor: Actor, school_id: int, entry_id: int,
                    body: str = "") -> ConcernEntry:
    """Record an action as done: its owner may, as may the DSL team. Anyone else is told
    there is no such action."""
    action = get_in_school(session, ConcernEntry, entry_id, school_id, "action")
    if action.kind != "action":
        raise NotFound("action")
    if can(actor, "casefile.write", school_id):
        return add_entry(session, actor, school_id, action.concern_id, "action_done",
                         body=body, refers_to_id=entry_id)
    if action.owner_id != actor.user_id or not can(actor, "concern.record", school_id):
        raise NotFound("action")
    return _owner_marks_done(session, actor, action, (body or "").strip())


def _owner_marks_done(session: Session, actor: Actor, action: ConcernEntry,
                      body: str) -> ConcernEntry:
    """An owner outside the DSL team appends the ``action_done`` entry through the same
    rules (it must name an open action of the concern), without reading the case file."""
    from core.concerns import concern_status, entries_of
    from core.entrylog import Draft
    from core.models import Concern

    concern = session.get(Concern, action.concern_id)
    entries = entries_of(session, concern.id)
    draft = Draft("action_done", body, {}, entries, concern_status(entries), session, actor,
                  concern, action.id)
    if len(body) > 5000:
        raise ValidationError({"body": ["must be at most 5000 characters"]})
    ENTRIES.check(draft)
    entry = ConcernEntry(school_id=concern.school_id, trust_id=concern.trust_id,
                         concern_id=concern.id, kind="action_done", author_id=actor.user_id,
                         body=body, refers_to_id=action.id)
    return ENTRIES.append(draft, entry, object_id=concern.id, school_id=concern.school_id,
                          detail={"by_owner": True})


def overdue_actions(session: Session, school_id: int, today: dt.date | None = None
                    ) -> list[ActionRow]:
    """A school's actions past their due date and not done, most overdue first, each naming
    its pupils and owner."""
    today = today or london_today()
    entries = list(session.scalars(select(ConcernEntry).where(
        ConcernEntry.school_id == school_id, ConcernEntry.kind == "action",
        ConcernEntry.due_date < today, ConcernEntry.id.not_in(_done_ids([school_id])))
        .order_by(ConcernEntry.due_date, ConcernEntry.id)))
    return _rows(session, None, entries, today)


def queue_reminders(session: Session, school_id: int, today: dt.date | None = None) -> int:
    """Mail each owner about their open actions due today, and once more the day after one
    falls overdue. Each reminder is queued once (``dedupe_key``); the mail says no more than
    that an action is due, for whom it is in the platform, and where to look."""
    today = today or london_today()
    entries = list(session.scalars(select(ConcernEntry).where(
        ConcernEntry.school_id == school_id, ConcernEntry.kind == "action",
        ConcernEntry.owner_id.is_not(None),
        ConcernEntry.due_date.in_((today, today - dt.timedelta(days=1))),
        ConcernEntry.id.not_in(_done_ids([school_id])))))
    with system_scope(session, "action reminders: owners' addresses"):
        emails = dict(session.execute(select(User.id, User.email).where(
            User.id.in_({e.owner_id for e in entries}), User.active.is_(True))).all())
    queued = 0
    for e in entries:
        if e.owner_id not in emails:
            continue
        due = "today" if e.due_date == today else "overdue since yesterday"
        msg = queue_mail(
            session, emails[e.owner_id], "A safeguarding action assigned to you is due",
            f"An action assigned to you is {due}. Sign in and open My actions to see it and "
            "record it as done. (The details stay in the platform, not in this email.)\n",
            dedupe_key=f"action:{e.id}:{'due' if e.due_date == today else 'overdue'}")
        queued += msg is not None
    return queued


def send_reminders(school_id: int, today: str | None = None) -> dict:
    """The recurring job (every morning, per school): queue the school's action reminders;
    the outbox sends them once this commits. Safe to run twice (each reminder once)."""
    day = dt.date.fromisoformat(today) if today else None
    with current_database().transaction(SYSTEM) as s:
        return {"queued": queue_reminders(s, school_id, day)}


def owner_choices(session: Session, school_id: int) -> list[tuple[int, str]]:
    """Who may own an action in a school: its staff and DSL team, by name."""
    from core.concerns import ACTION_OWNER_ROLES
    from core.models import Membership

    rows = session.execute(select(User.id, User.name).join(
        Membership, Membership.user_id == User.id).where(
        Membership.school_id == school_id, Membership.role.in_(ACTION_OWNER_ROLES),
        User.active.is_(True)).distinct().order_by(User.name)).all()
    return [(uid, name) for uid, name in rows]
