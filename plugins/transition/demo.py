"""Demo data: transfers in different states between the demo schools, one to a school outside
the trust, and an incoming file not yet received."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import pupils
from core.calendar import london_today
from core.models import ConcernPupil, Membership, Pupil, School
from core.policy import actor_for
from plugins.transition import service

OUTSIDE_URN = "990999"  # fictional school not on the platform


def _dsl(session: Session, school_id: int):
    uid = session.scalar(select(Membership.user_id).where(Membership.school_id == school_id,
                                                          Membership.role == "dsl"))
    return actor_for(session, uid, mfa=True) if uid else None


def _pupil(session: Session, school_id: int, years: tuple[int, ...], taken: set[int]) -> Pupil:
    """An on-roll pupil of those years, preferring one with concerns (a file worth sending)."""
    counts = dict(session.execute(select(ConcernPupil.pupil_id, func.count()).where(
        ConcernPupil.school_id == school_id).group_by(ConcernPupil.pupil_id)).all())
    rows = [p for p in session.scalars(select(Pupil).where(
        Pupil.school_id == school_id, Pupil.on_roll_to.is_(None), Pupil.year_group.in_(years),
        Pupil.on_roll_from <= london_today() - dt.timedelta(days=40))
        .order_by(Pupil.id)) if p.id not in taken]
    rows.sort(key=lambda p: -counts.get(p.id, 0))
    taken.add(rows[0].id)
    return rows[0]


def seed_demo(session: Session, trust_id: int, school_ids: list[int], seed: int) -> None:
    """Seed a few transfers (accepted, sent awaiting receipt, overdue to a school outside the
    trust, a pupil about to leave) and one "no file yet"."""
    if len(school_ids) < 3:
        return
    rng = random.Random(seed)
    primary, other_primary, secondary = school_ids[:3]
    urn = dict(session.execute(select(School.id, School.urn).where(
        School.id.in_(school_ids))).all())
    today = london_today()
    taken: set[int] = set()
    dsls = {sid: _dsl(session, sid) for sid in school_ids}
    if None in dsls.values():
        return
    note = ("Please call me when you have read this file; there is a history of neglect "
            "concerns and an open early help plan.")

    # 1. in-year move between the primaries: sent, confirmed and accepted
    p = _pupil(session, primary, (3, 4), taken)
    pupils.mark_left(session, dsls[primary], primary, p.id, today - dt.timedelta(days=14),
                     "Family moved house", urn[other_primary])
    t = service.open_transfer(session, primary, p.id, urn[other_primary], p.on_roll_to)
    service.prepare(session, dsls[primary], primary, t.id, covering_note=note)
    service.send_in_trust(session, dsls[primary], primary, t.id)
    service.read_package(session, dsls[other_primary], other_primary, t.id)
    service.confirm_receipt(session, dsls[other_primary], other_primary, t.id)
    service.accept(session, dsls[other_primary], other_primary, t.id,
                   on_roll_from=p.on_roll_to + dt.timedelta(days=3))

    # 2. a Year 6 leaver to the secondary: sent, awaiting the receiving DSL
    p = _pupil(session, other_primary, (6,), taken)
    pupils.mark_left(session, dsls[other_primary], other_primary, p.id,
                     today - dt.timedelta(days=rng.randrange(2, 4)), "Moving to secondary",
                     urn[secondary])
    t = service.open_transfer(session, other_primary, p.id, urn[secondary], p.on_roll_to)
    service.prepare(session, dsls[other_primary], other_primary, t.id,
                    covering_note="Transition meeting held; file attached as agreed.")
    service.send_in_trust(session, dsls[other_primary], other_primary, t.id)

    # 3. to a school outside the trust, not yet prepared and past its deadline
    p = _pupil(session, secondary, (8, 9), taken)
    pupils.mark_left(session, dsls[secondary], secondary, p.id, today - dt.timedelta(days=21),
                     "Moved out of area", OUTSIDE_URN)

    # 4. about to leave: moving to the other primary in a fortnight; the transfer is open
    #    (pending) and its deadline counted, so the DSL can prepare the file before the day
    p = _pupil(session, primary, (2, 3, 4, 5), taken)
    pupils.mark_left(session, dsls[primary], primary, p.id, today + dt.timedelta(days=14),
                     "Family moving to be nearer grandparents", urn[other_primary],
                     require_destination=True)

    # 5. a new pupil whose previous school is not on the platform: no file yet
    p = _pupil(session, secondary, (7,), taken)
    service.expect_incoming(session, dsls[secondary], secondary, p.id,
                            "St Aidan's Church of England Academy (Leeds)")
