"""The training columns of the trust overview: aggregates only, one row per school."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from core.calendar import london_today
from core.contributions import Metric, MetricDefinition
from plugins.training.compliance import build_matrix, dsl_in_date
from plugins.training.definition import NAME

DEFINITIONS = (
    MetricDefinition(NAME, "compliance_pct", "Staff training compliance", "%", None, True),
    MetricDefinition(NAME, "dsl_in_date", "DSL training in date (1 yes, 0 no)", "", None, True),
    MetricDefinition(NAME, "expiring_30", "Staff with training due in 30 days", "", None, False),
)


def school_metrics(session: Session, school_id: int, start: dt.date, end: dt.date
                   ) -> list[Metric]:
    """A school's training figures as at the end of the period (or today, if sooner)."""
    day = min(end, london_today())
    matrix = build_matrix(session, school_id, day)
    return [
        Metric(NAME, school_id, "compliance_pct", matrix.compliance_pct),
        Metric(NAME, school_id, "dsl_in_date", 1 if dsl_in_date(matrix) else 0),
        Metric(NAME, school_id, "expiring_30", sum(r.due_soon for r in matrix.rows)),
    ]
