"""Operation Encompass's indicators for the converging-signals rules (``mat_indicators``):
each police notification matched to a pupil, dated the day school received it (London time),
since the next school day is what the notification is for. Named siblings and children the
police did not name but the school matched count the same: the child was in the household."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from core.calendar import LONDON
from core.contributions import Indicator

from plugins.encompass.definition import NAME
from plugins.encompass.models import EncompassChild, EncompassNotification


def matched_notifications(session: Session, school_id: int, start: dt.date, end: dt.date,
                          pupil_ids: list[int] | None = None
                          ) -> list[tuple[int, int, dt.date]]:
    """``(pupil, notification, day received)`` for notifications received ``start`` to
    ``end`` whose child was matched to a pupil of the school."""
    lo = dt.datetime.combine(start, dt.time.min, LONDON)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, LONDON)
    stmt = (select(EncompassChild.pupil_id, EncompassNotification.id,
                   EncompassNotification.received_at)
            .join(EncompassNotification, and_(
                EncompassNotification.id == EncompassChild.notification_id,
                EncompassNotification.school_id == EncompassChild.school_id))
            .where(EncompassChild.school_id == school_id, EncompassChild.pupil_id.is_not(None),
                   EncompassChild.match == "matched",
                   EncompassNotification.received_at >= lo,
                   EncompassNotification.received_at < hi))
    if pupil_ids is not None:
        stmt = stmt.where(EncompassChild.pupil_id.in_(list(pupil_ids)))
    return [(pid, nid, at.astimezone(LONDON).date())
            for pid, nid, at in session.execute(stmt).all()]


def indicators(session: Session, school_id: int, start: dt.date, end: dt.date,
               pupil_ids: list[int] | None = None) -> list[Indicator]:
    """One indicator per notification and matched pupil."""
    return [Indicator(pid, school_id, "encompass.notification", day, NAME,
                      "Police notification (Operation Encompass)",
                      f"/schools/{school_id}/encompass/{nid}", str(nid))
            for pid, nid, day in matched_notifications(session, school_id, start, end,
                                                       pupil_ids)]
