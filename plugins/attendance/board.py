"""Attendance in the trust lead's workspace: persistent absence of each child of a family
across schools, and the term's persistent absence for the board report."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from core.calendar import london_today
from core.contributions import PupilIndicator, ReportFigure

from plugins.attendance.definition import NAME
from plugins.attendance.measures import group_measures, pupil_counts


def pupil_indicators(session: Session, school_id: int, pupil_ids: list[int],
                     since: dt.date) -> list[PupilIndicator]:
    """Whether each pupil has missed 10% or more of possible sessions since ``since`` (pupils
    with no marks in the range are left out)."""
    out = []
    end = london_today()
    for pid in pupil_ids:
        counts = pupil_counts(session, school_id, since, end, pupil_id=pid).get(pid)
        if counts is not None and counts.possible:
            out.append(PupilIndicator(NAME, pid, "persistent_absence", "Persistent absence",
                                      counts.persistent))
    return out


def report_figures(session: Session, school_id: int, start: dt.date,
                   end: dt.date) -> list[ReportFigure]:
    """Pupils persistently absent in the term, out of pupils with marks in it."""
    m = group_measures(session, school_id, start, min(end, london_today()))
    return [ReportFigure(NAME, school_id, "persistent_absence", "Pupils persistently absent",
                         len(m.persistent), m.pupils)]
