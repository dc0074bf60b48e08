"""The demo's converging case, seeded after every plugin's demo data: a child of the first
school whose register the attendance demo fills with unexplained absence, a concern about
them, and a brother at the secondary school with a concern there too. Then each school is
evaluated once, so the DSL dashboards, the pupil page and the trust lead's list show it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import concerns, pupils
from core.calendar import LONDON
from core.models import ConcernCategory, FamilyLink, Pupil
from core.policy import Actor
from core.signals.evaluate import evaluate_school


def seed_case(session, trust_id: int, school_ids: list[int], staff: dict[int, Actor],
              today: dt.date) -> None:
    """Plant the case and evaluate every school as of ``today``."""
    first, secondary = school_ids[0], school_ids[-1]
    # the attendance demo gives its second pupil of each school (by id) a run of
    # unexplained absence; their brother is the secondary school's second pupil
    child = session.scalars(select(Pupil).where(Pupil.school_id == first)
                            .order_by(Pupil.id).offset(1).limit(1)).first()
    brother = session.scalars(select(Pupil).where(Pupil.school_id == secondary)
                              .order_by(Pupil.id).offset(1).limit(1)).first()
    if child is None or brother is None:
        return
    brother.last_name = child.last_name
    lo, hi = sorted((child.id, brother.id))
    if session.scalar(select(FamilyLink.id).where(FamilyLink.pupil_id == lo,
                                                  FamilyLink.related_pupil_id == hi)) is None:
        pupils.link_family(session, None, child.id, brother.id, "sibling")
    cats = {c.code: c.id for c in session.scalars(select(ConcernCategory).where(
        ConcernCategory.trust_id == trust_id))}
    for pupil, days_ago, fact, code in (
            (child, 3, "Came in hungry and in the same clothes as last week; said mum is "
                       "'always asleep'.", "neglect"),
            (brother, 6, "Said he looks after his little sister before school because mum "
                         "is not well; tired and withdrawn in lessons.", "neglect")):
        when = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(10, 15), LONDON)
        concerns.record_concern(session, staff[pupil.school_id], pupil.school_id,
                                occurred_at=when, pupil_ids=[pupil.id], fact=fact,
                                location="Classroom", category_ids=[cats[code]])
    session.flush()
    for school_id in school_ids:
        evaluate_school(session, school_id, today, incremental=False)
