"""Training in the board report: staff whose safeguarding training is in date at the end of
the term (or today, whichever is sooner), out of the staff who need it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from core.calendar import london_today
from core.contributions import ReportFigure

from plugins.training.compliance import build_matrix, dsl_in_date
from plugins.training.definition import NAME


def report_figures(session: Session, school_id: int, start: dt.date,
                   end: dt.date) -> list[ReportFigure]:
    """Staff fully in date, out of staff on the matrix; and whether the DSL's training is in
    date (yes or no). Figures about adults: no small-number rule."""
    matrix = build_matrix(session, school_id, min(end, london_today()))
    return [ReportFigure(NAME, school_id, "staff_compliant", "Staff training in date",
                         sum(r.compliant for r in matrix.rows), len(matrix.rows),
                         about_children=False),
            ReportFigure(NAME, school_id, "dsl_in_date", "DSL training in date",
                         1 if dsl_in_date(matrix) else 0, 1, about_children=False,
                         yes_no=True)]
