"""What an import leaves for a person: rows to review (same name and date of birth as a pupil
on the roll, no identifier in common) and pupils a full file no longer lists ("left?")."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import london_today
from core.db import get_in_school, utcnow
from core.errors import ValidationError
from core.mis import sync
from core.models import MisLeaverCheck, MisReviewItem, Pupil, School
from core.policy import Actor, require
from core.pupils import add_pupil, mark_left

DECISIONS = {"same": "linked", "new": "added", "ignore": "ignored"}


def open_review(session: Session, actor: Actor, school_id: int) -> list[tuple]:
    """Open review items with the pupil each may be (or None)."""
    require(actor, "pupil.manage", school_id)
    items = session.scalars(select(MisReviewItem).where(
        MisReviewItem.school_id == school_id, MisReviewItem.status == "open")
        .order_by(MisReviewItem.id)).all()
    pupils = {p.id: p for p in session.scalars(select(Pupil).where(
        Pupil.school_id == school_id, Pupil.id.in_([i.pupil_id for i in items if i.pupil_id])))}
    return [(i, pupils.get(i.pupil_id)) for i in items]


def decide_review(session: Session, actor: Actor, school_id: int, item_id: int,
                  decision: str) -> MisReviewItem:
    """``same``: the row is the pupil named (their details are brought in line, the MIS id and
    UPN kept so the next import finds them); ``new``: a new pupil; ``ignore``: leave the row
    out of this and later imports."""
    require(actor, "pupil.manage", school_id)
    item = get_in_school(session, MisReviewItem, item_id, school_id, "review item")
    if decision not in DECISIONS:
        raise ValidationError({"decision": ["choose same, new or ignore"]})
    if item.status != "open":
        raise ValidationError({"decision": [f"this row was already decided ({item.status})"]})
    row = sync.row_from_json(item.row)
    school = session.get(School, school_id)
    today = london_today()
    if decision == "same":
        if item.pupil_id is None:
            raise ValidationError({"decision": ["this row names no pupil on the roll"]})
        roll = sync.read_roll(session, school_id)
        sync.apply_change(session, actor, school_id, school.trust_id,
                          sync._diff(row, item.pupil_id, roll), today)
    elif decision == "new":
        data = {k: v for k, v in row.details.items() if v is not None}
        pupil = add_pupil(session, actor, school_id, upn=row.upn, on_roll_from=today, **data)
        item.pupil_id = pupil.id
        roll = sync.read_roll(session, school_id)
        sync.apply_change(session, actor, school_id, school.trust_id,
                          sync._diff(row, pupil.id, roll), today)
    item.status, item.decided_by_id, item.decided_at = DECISIONS[decision], actor.user_id, utcnow()
    session.flush()
    audit.record(session, "mis.review_decided", actor=actor, object_type="mis_review_item",
                 object_id=item.id, school_id=school_id,
                 detail={"decision": decision, "pupil_id": item.pupil_id})
    return item


def open_leavers(session: Session, actor: Actor, school_id: int) -> list[tuple]:
    """Pupils still on roll whom a full import no longer listed, with the check."""
    require(actor, "pupil.manage", school_id)
    rows = session.execute(select(MisLeaverCheck, Pupil).join(
        Pupil, Pupil.id == MisLeaverCheck.pupil_id).where(
        MisLeaverCheck.school_id == school_id, MisLeaverCheck.status == "open",
        Pupil.on_roll_to.is_(None)).order_by(Pupil.last_name, Pupil.first_name)).all()
    return [(c, p) for c, p in rows]


def confirm_leaver(session: Session, actor: Actor, school_id: int, check_id: int,
                   day: dt.date | None, reason: str, destination_urn: str | None,
                   destination_unknown: bool = False) -> MisLeaverCheck:
    """Confirm a "left?" pupil as a leaver through the leaving flow
    (:func:`core.pupils.mark_left`: a destination opens the transfer)."""
    require(actor, "pupil.manage", school_id)
    check = get_in_school(session, MisLeaverCheck, check_id, school_id, "leaver")
    if check.status != "open":
        raise ValidationError({"leaver": ["this pupil was already dealt with"]})
    mark_left(session, actor, school_id, check.pupil_id, day, reason, destination_urn,
              destination_unknown=destination_unknown, require_destination=True)
    check.status, check.decided_by_id, check.decided_at = "confirmed", actor.user_id, utcnow()
    session.flush()
    return check


def still_on_roll(session: Session, actor: Actor, school_id: int,
                  check_id: int) -> MisLeaverCheck:
    """The pupil has not left (the file was short): the check is closed."""
    require(actor, "pupil.manage", school_id)
    check = get_in_school(session, MisLeaverCheck, check_id, school_id, "leaver")
    if check.status != "open":
        raise ValidationError({"leaver": ["this pupil was already dealt with"]})
    check.status, check.decided_by_id, check.decided_at = "on_roll", actor.user_id, utcnow()
    session.flush()
    audit.record(session, "mis.leaver_dismissed", actor=actor, object_type="pupil",
                 object_id=check.pupil_id, school_id=school_id)
    return check
