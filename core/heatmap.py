"""Concerns by category per school, per 100 pupils: the trust lead's heat map.

A concern counts in a category when it was recorded in it or a DSL entry put it there since
(as the DSL team's concerns list filters it), once per concern and category, by the day it
happened (London time) within the period, so a cell's drill-down to that list, filtered by the
category and the same dates, shows exactly the concerns counted. The rate is over the pupils
on the school's roll at any time in the period.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, union
from sqlalchemy.orm import Session

from core import audit
from core.calendar import LONDON
from core.concerns import categories
from core.models import Concern, ConcernCategory, ConcernCategoryLink, ConcernEntry, Pupil, School
from core.policy import Actor, require


@dataclass
class HeatMap:
    schools: list[School]
    categories: list[ConcernCategory]
    counts: dict[tuple[int, int], int]  # (school_id, category_id) -> concerns
    pupils: dict[int, int]  # school_id -> pupils on roll in the period
    start: dt.date
    end: dt.date

    def count(self, school_id: int, category_id: int) -> int:
        return self.counts.get((school_id, category_id), 0)

    def rate(self, school_id: int, category_id: int) -> float | None:
        """Concerns in the category per 100 pupils (one decimal); ``None`` with no pupils."""
        pupils = self.pupils.get(school_id, 0)
        if not pupils:
            return None
        return round(100 * self.count(school_id, category_id) / pupils, 1)

    def highest(self) -> float:
        rates = [self.rate(s.id, c.id) for s in self.schools for c in self.categories]
        return max([r for r in rates if r is not None] or [0.0])


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=LONDON)


def _pupils_on_roll(session: Session, school_ids: list[int], start: dt.date,
                    end: dt.date) -> dict[int, int]:
    rows = session.execute(select(Pupil.school_id, func.count()).where(
        Pupil.school_id.in_(school_ids), Pupil.on_roll_from <= end,
        or_(Pupil.on_roll_to.is_(None), Pupil.on_roll_to >= start)).group_by(Pupil.school_id))
    return {sid: n for sid, n in rows}


def _category_counts(session: Session, school_ids: list[int], start: dt.date,
                     end: dt.date) -> dict[tuple[int, int], int]:
    placed = union(
        select(ConcernCategoryLink.school_id, ConcernCategoryLink.concern_id,
               ConcernCategoryLink.category_id)
        .where(ConcernCategoryLink.school_id.in_(school_ids)),
        select(ConcernEntry.school_id, ConcernEntry.concern_id, ConcernEntry.category_id)
        .where(ConcernEntry.school_id.in_(school_ids), ConcernEntry.category_id.is_not(None)),
    ).subquery()
    rows = session.execute(
        select(placed.c.school_id, placed.c.category_id, func.count())
        .join(Concern, and_(Concern.id == placed.c.concern_id,
                            Concern.school_id == placed.c.school_id))
        .where(Concern.occurred_at >= _midnight(start),
               Concern.occurred_at < _midnight(end + dt.timedelta(days=1)))
        .group_by(placed.c.school_id, placed.c.category_id))
    return {(sid, cid): n for sid, cid, n in rows}


def concern_heatmap(session: Session, actor: Actor, trust_id: int, start: dt.date,
                    end: dt.date) -> HeatMap:
    """Every school of the trust by every category with concerns in the period (active
    categories always; a retired one only where it has concerns). Trust lead only; audited."""
    require(actor, "trust.overview", trust_id=trust_id)
    schools = list(session.scalars(select(School).where(School.trust_id == trust_id)
                                   .order_by(School.name)))
    ids = [s.id for s in schools]
    counts = _category_counts(session, ids, start, end) if ids else {}
    used = {cid for _, cid in counts}
    cats = [c for c in categories(session, trust_id, include_inactive=True)
            if c.active or c.id in used]
    audit.record(session, "trust.heatmap_read", actor=actor, object_type="trust",
                 object_id=trust_id, trust_id=trust_id, detail={"start": start, "end": end})
    return HeatMap(schools, cats, counts, _pupils_on_roll(session, ids, start, end) if ids
                   else {}, start, end)
