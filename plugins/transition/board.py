"""Transfers of child-protection files in the trust lead's workspace: a child's open
transfer for the view of families across schools, and files sent on time in the term for
the board report."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calendar import LONDON, london_today
from core.contributions import PupilIndicator, ReportFigure

from plugins.transition.definition import NAME
from plugins.transition.models import Transfer
from plugins.transition.transfers import UNFINISHED


def pupil_indicators(session: Session, school_id: int, pupil_ids: list[int],
                     since: dt.date) -> list[PupilIndicator]:
    """Each pupil's transfers of their file not yet finished (whenever they were opened:
    an open transfer is current whatever ``since`` says)."""
    if not pupil_ids:
        return []
    open_ = {pid: 0 for pid in pupil_ids}
    for pid in session.scalars(select(Transfer.pupil_id).where(
            Transfer.school_id == school_id, Transfer.pupil_id.in_(pupil_ids),
            Transfer.status.in_(UNFINISHED))):
        open_[pid] += 1
    return [PupilIndicator(NAME, pid, "open_transfers", "Open transfers", n)
            for pid, n in open_.items()]


def report_figures(session: Session, school_id: int, start: dt.date, end: dt.date,
                   today: dt.date | None = None) -> list[ReportFigure]:
    """Transfers due in the term whose deadline has passed or that were sent, and how many of
    them were sent by the deadline (the trust overview's rule)."""
    today = today or london_today()
    due_in = list(session.scalars(select(Transfer).where(
        Transfer.school_id == school_id, Transfer.due_date >= start, Transfer.due_date <= end)))
    judged = [t for t in due_in if t.due_date < today or t.first_sent_at is not None]
    on_time = [t for t in judged if t.first_sent_at is not None
               and t.first_sent_at.astimezone(LONDON).date() <= t.due_date]
    return [ReportFigure(NAME, school_id, "sent_on_time", "Child-protection files sent on time",
                         len(on_time), len(judged))]
