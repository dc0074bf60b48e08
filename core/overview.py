"""The trust overview: one row per school, columns from the core and from plugins through
``mat_trust_metrics``. A plugin off for a school is not called for it, so its cells are empty."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import LONDON
from core.concerns import concerns_count, open_counts, overdue_actions
from core.contributions import Metric, MetricDefinition
from core.models import Pupil, School
from core.plugins import current_host
from core.policy import Actor, require

CORE_METRICS = (
    MetricDefinition("core", "pupils", "Pupils on roll", "", None, None),
    MetricDefinition("core", "concerns_per_100", "Concerns per 100 pupils", "per 100"),
    MetricDefinition("core", "awaiting_triage", "Awaiting triage", "", None, False),
    MetricDefinition("core", "open_cases", "Open cases", ""),
    MetricDefinition("core", "overdue_actions", "Overdue actions", "", None, False),
)


def pupils_on_roll(session: Session, school_id: int, start: dt.date, end: dt.date) -> int:
    """Pupils on a school's roll at any time between ``start`` and ``end``."""
    return session.scalar(select(func.count()).select_from(Pupil).where(
        Pupil.school_id == school_id, Pupil.on_roll_from <= end,
        or_(Pupil.on_roll_to.is_(None), Pupil.on_roll_to >= start)))


def core_metrics(session: Session, school_id: int, start: dt.date, end: dt.date) -> list[Metric]:
    pupils = pupils_on_roll(session, school_id, start, end)
    n = concerns_count(session, school_id, dt.datetime.combine(start, dt.time.min, LONDON),
                       dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, LONDON))
    counts = open_counts(session, school_id)
    return [
        Metric("core", school_id, "pupils", pupils),
        Metric("core", school_id, "concerns_per_100",
               round(100 * n / pupils, 1) if pupils else None),
        Metric("core", school_id, "awaiting_triage", counts["awaiting_triage"]),
        Metric("core", school_id, "open_cases", counts["awaiting_triage"] + counts["open"]),
        Metric("core", school_id, "overdue_actions", len(overdue_actions(session, school_id))),
    ]


@dataclass
class Overview:
    definitions: list[MetricDefinition]
    schools: list[School]
    cells: dict[int, dict[str, float | None]]  # school_id -> "plugin.key" -> value
    start: dt.date
    end: dt.date


def trust_overview(session: Session, actor: Actor, trust_id: int, start: dt.date,
                   end: dt.date) -> Overview:
    """Every school of the trust with every metric for the period (trust lead only)."""
    require(actor, "trust.overview", trust_id=trust_id)
    host = current_host()
    schools = list(session.scalars(select(School).where(School.trust_id == trust_id)
                                   .order_by(School.name)))
    cells: dict[int, dict[str, float | None]] = {}
    for school in schools:
        cells[school.id] = {f"{m.plugin}.{m.key}": m.value for m in host.call_for_school(
            session, school.id, "mat_trust_metrics", start=start, end=end)
            if m.school_id == school.id}
    used = set().union(*[set(c) for c in cells.values()]) if cells else set()
    definitions = [d for d in host.call_global("mat_metric_definitions")
                   if d.plugin == "core" or f"{d.plugin}.{d.key}" in used]
    audit.record(session, "trust.overview_read", actor=actor, object_type="trust", object_id=trust_id,
                 trust_id=trust_id, detail={"start": start, "end": end})
    return Overview(definitions, schools, cells, start, end)
