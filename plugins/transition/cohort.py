"""Year 6 to Year 7: a whole cohort's files in one action. Every Year 6 leaver with a
destination gets a transfer (if the leaving event did not already open one), a package with
the same covering note, and, where the destination is a school of the trust, is sent to its
DSL inbox. One transaction: all of it or none."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.errors import ValidationError
from core.models import Pupil
from core.policy import Actor, require
from plugins.transition import transfers

COHORT_YEAR = 6


@dataclass
class CohortResult:
    prepared: list[int] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # already prepared or further on


def year6_leavers(session: Session, school_id: int) -> list[Pupil]:
    """Year 6 pupils marked as leaving with a destination URN."""
    return list(session.scalars(select(Pupil).where(
        Pupil.school_id == school_id, Pupil.year_group == COHORT_YEAR,
        Pupil.on_roll_to.is_not(None), Pupil.destination_urn.is_not(None))
        .order_by(Pupil.last_name, Pupil.first_name)))


def prepare_cohort(session: Session, actor: Actor, school_id: int, covering_note: str, *,
                   send: bool = True) -> CohortResult:
    """Prepare (and, inside the trust, send) every Year 6 leaver's file at once."""
    require(actor, "transfer.handle", school_id)
    if not (covering_note or "").strip():
        raise ValidationError({"covering_note": ["write a covering note for the receiving DSLs"]})
    leavers = year6_leavers(session, school_id)
    if not leavers:
        raise ValidationError({"cohort": ["no Year 6 pupil is marked as leaving with a "
                                          "destination school"]})
    result = CohortResult()
    for p in leavers:
        t = transfers.open_transfer(session, school_id, p.id, p.destination_urn, p.on_roll_to,
                                  actor.user_id)
        if t is None:
            continue
        if t.status != "pending":
            result.skipped.append(t.id)
            continue
        transfers.prepare(session, actor, school_id, t.id, covering_note=covering_note)
        result.prepared.append(t.id)
        if send and transfers.in_trust_destination(session, t) is not None:
            transfers.send_in_trust(session, actor, school_id, t.id)
            result.sent.append(t.id)
    audit.record(session, "transition.cohort_prepared", actor=actor, object_type="school",
                 object_id=school_id, school_id=school_id,
                 detail={"prepared": len(result.prepared), "sent": len(result.sent)})
    return result
