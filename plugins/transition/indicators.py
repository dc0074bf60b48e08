"""Transition's indicators for the converging-signals rules (``mat_indicators``):

- ``transition.no_file``: a new pupil whose child-protection file is awaited from a school
  not on the platform, dated the day the school put them on the "no file yet" list;
- ``transition.file_overdue``: that file still not received five school days later (the
  KCSIE timescale the plugin counts for a sender), dated the first day it was overdue; and a
  pupil who left this school whose file was not sent by its deadline, dated the day after.

A child arriving without their history, or whose history did not follow them, is a gap in
what the school knows; beside another sign it matters.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calendar import LONDON, calendar_for
from core.contributions import Indicator

from plugins.transition.deadlines import DAYS
from plugins.transition.definition import NAME
from plugins.transition.models import IncomingFile, Transfer



def indicators(session: Session, school_id: int, start: dt.date, end: dt.date,
               pupil_ids: list[int] | None = None) -> list[Indicator]:
    """Files awaited and files overdue, dated ``start`` to ``end``."""
    return (_incoming(session, school_id, start, end, pupil_ids)
            + _outgoing(session, school_id, start, end, pupil_ids))


def _incoming(session, school_id, start, end, pupil_ids) -> list[Indicator]:
    stmt = select(IncomingFile).where(IncomingFile.school_id == school_id)
    if pupil_ids is not None:
        stmt = stmt.where(IncomingFile.pupil_id.in_(list(pupil_ids)))
    cal = None
    out = []
    for row in session.scalars(stmt):
        link = f"/schools/{school_id}/transition/incoming/{row.id}"
        arrived = row.created_at.astimezone(LONDON).date()
        if start <= arrived <= end:
            out.append(Indicator(row.pupil_id, school_id, "transition.no_file", arrived, NAME,
                                 f"Arrived without a child-protection file (from "
                                 f"{row.previous_school})", link, f"in:{row.id}"))
        cal = cal or calendar_for(session, school_id)
        due = cal.add_school_days(arrived, DAYS) or arrived + dt.timedelta(days=7)
        late = due + dt.timedelta(days=1)
        received = row.received_at.astimezone(LONDON).date() if row.received_at else None
        if start <= late <= end and (received is None or received > due):
            out.append(Indicator(row.pupil_id, school_id, "transition.file_overdue", late, NAME,
                                 f"Child-protection file from {row.previous_school} not "
                                 f"received within {DAYS} school days", link,
                                 f"in:{row.id}:late"))
    return out


def _outgoing(session, school_id, start, end, pupil_ids) -> list[Indicator]:
    stmt = select(Transfer).where(Transfer.school_id == school_id,
                                  Transfer.due_date.is_not(None),
                                  Transfer.due_date >= start - dt.timedelta(days=1),
                                  Transfer.due_date < end)
    if pupil_ids is not None:
        stmt = stmt.where(Transfer.pupil_id.in_(list(pupil_ids)))
    out = []
    for t in session.scalars(stmt):
        late = t.due_date + dt.timedelta(days=1)
        sent = t.first_sent_at.astimezone(LONDON).date() if t.first_sent_at else None
        if start <= late <= end and (sent is None or sent > t.due_date):
            out.append(Indicator(t.pupil_id, school_id, "transition.file_overdue", late, NAME,
                                 f"Child-protection file to {t.destination_name or 'the new school'}"
                                 f" not sent by its deadline",
                                 f"/schools/{school_id}/transition/transfers/{t.id}",
                                 f"out:{t.id}"))
    return out
