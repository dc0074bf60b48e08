"""Training needs from concerns: what the school's children are facing (the categories of
recent concerns) against who is trained for it (the courses mapped to those categories).

Only counts leave this module: no concern, pupil or member of staff is named, so the
analysis can be shown to whoever leads training.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import LONDON, london_today
from core.models import Concern, ConcernCategory, ConcernCategoryLink, School
from core.policy import Actor, require
from plugins.training.compliance import course_state, latest_completions
from plugins.training.courses import ensure_courses
from plugins.training.models import Course
from plugins.training.records import records_of
from plugins.training.staff import current_staff

DEFAULT_DAYS = 90
# a gap: concerns in the category, and fewer than this share of staff trained for it
GAP_BELOW_PCT = 50.0


@dataclass(frozen=True)
class Need:
    category_code: str
    category_label: str
    concerns: int           # in the last ``days`` days
    concerns_before: int    # in the ``days`` days before that
    course: Course
    trained: int            # current staff in date for the course
    staff: int              # current staff

    @property
    def trained_pct(self) -> float | None:
        return round(100 * self.trained / self.staff, 1) if self.staff else None

    @property
    def rising(self) -> bool:
        return self.concerns > self.concerns_before

    @property
    def gap(self) -> bool:
        return self.concerns > 0 and (self.trained_pct or 0) < GAP_BELOW_PCT


def _category_counts(session: Session, school_id: int, start: dt.datetime,
                     end: dt.datetime) -> dict[int, int]:
    """category id -> number of concerns recorded in [start, end) carrying it."""
    rows = session.execute(
        select(ConcernCategoryLink.category_id, func.count(func.distinct(Concern.id)))
        .join(Concern, (Concern.id == ConcernCategoryLink.concern_id)
              & (Concern.school_id == ConcernCategoryLink.school_id))
        .where(Concern.school_id == school_id, Concern.recorded_at >= start,
               Concern.recorded_at < end)
        .group_by(ConcernCategoryLink.category_id))
    return {cid: n for cid, n in rows}


def needs_for(session: Session, school_id: int, days: int = DEFAULT_DAYS,
              today: dt.date | None = None) -> list[Need]:
    """One row per (concern category, course that prepares staff for it) where the school
    had concerns in either period, most concerns first. No access check: callers do."""
    today = today or london_today()
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, LONDON)
    start = end - dt.timedelta(days=days)
    now = _category_counts(session, school_id, start, end)
    before = _category_counts(session, school_id, start - dt.timedelta(days=days), start)
    trust_id = session.scalar(select(School.trust_id).where(School.id == school_id))
    categories = {c.code: c for c in session.scalars(select(ConcernCategory).where(
        ConcernCategory.trust_id == trust_id))}
    courses = ensure_courses(session, trust_id)
    staff = current_staff(session, school_id, today)
    latest = latest_completions(records_of(session, school_id, [p.id for p in staff]), courses,
                                today)
    out = []
    for course in (c for c in courses if c.active):
        for code in course.concern_categories or []:
            cat = categories.get(code)
            if cat is None or not (now.get(cat.id) or before.get(cat.id)):
                continue
            trained = sum(course_state(course, p.id, latest, today).in_date for p in staff)
            out.append(Need(code, cat.label, now.get(cat.id, 0), before.get(cat.id, 0), course,
                            trained, len(staff)))
    return sorted(out, key=lambda n: (-n.concerns, n.category_label, n.course.label))


def unmapped_categories(session: Session, school_id: int, days: int = DEFAULT_DAYS,
                        today: dt.date | None = None) -> list[tuple[str, int]]:
    """Categories with recent concerns that no course is mapped to: (label, count)."""
    today = today or london_today()
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, LONDON)
    counts = _category_counts(session, school_id, end - dt.timedelta(days=days), end)
    trust_id = session.scalar(select(School.trust_id).where(School.id == school_id))
    mapped = {code for c in ensure_courses(session, trust_id) if c.active
              for code in c.concern_categories or []}
    cats = session.scalars(select(ConcernCategory).where(ConcernCategory.id.in_(list(counts))))
    return sorted(((c.label, counts[c.id]) for c in cats if c.code not in mapped),
                  key=lambda x: (-x[1], x[0]))


def needs_analysis(session: Session, actor: Actor, school_id: int, days: int = DEFAULT_DAYS,
                   today: dt.date | None = None) -> list[Need]:
    """The needs analysis for the school's training managers and the trust (audited: it is
    derived from concern records, though it shows counts only)."""
    require(actor, "training.view", school_id)
    result = needs_for(session, school_id, days, today)
    audit.record(session, "training.needs_read", actor=actor, object_type="school",
                 object_id=school_id, school_id=school_id, detail={"days": days})
    return result
