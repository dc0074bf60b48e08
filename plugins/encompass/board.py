"""Operation Encompass in the trust lead's workspace: notifications per child for the view of
families across schools, and the term's timeliness for the board report (counts, so the
report can hold back small numbers)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.calendar import LONDON
from core.contributions import PupilIndicator, ReportFigure
from core.db import utcnow

from plugins.encompass.definition import NAME
from plugins.encompass.figures import _steps_by_notification
from plugins.encompass.models import EncompassChild, EncompassNotification
from plugins.encompass.response import acknowledged_at


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, LONDON)


def pupil_indicators(session: Session, school_id: int, pupil_ids: list[int],
                     since: dt.date) -> list[PupilIndicator]:
    """Notifications received since ``since`` naming each of the pupils (matched to them)."""
    if not pupil_ids:
        return []
    counts = dict(session.execute(
        select(EncompassChild.pupil_id, func.count(func.distinct(EncompassNotification.id)))
        .join(EncompassNotification, EncompassNotification.id == EncompassChild.notification_id)
        .where(EncompassChild.school_id == school_id, EncompassChild.pupil_id.in_(pupil_ids),
               EncompassNotification.received_at >= _day_start(since))
        .group_by(EncompassChild.pupil_id)).all())
    return [PupilIndicator(NAME, pid, "notifications", "Encompass notifications",
                           int(counts.get(pid, 0))) for pid in pupil_ids]


def report_figures(session: Session, school_id: int, start: dt.date, end: dt.date,
                   now: dt.datetime | None = None) -> list[ReportFigure]:
    """Notifications received in the term, and of those whose deadline has passed or that
    were acknowledged, how many a key adult acknowledged before the deadline (the rule of the
    trust overview's on-time figure)."""
    now = now or utcnow()
    ns = list(session.scalars(select(EncompassNotification).where(
        EncompassNotification.school_id == school_id,
        EncompassNotification.received_at >= _day_start(start),
        EncompassNotification.received_at < _day_start(end + dt.timedelta(days=1)))))
    steps = _steps_by_notification(session, [n.id for n in ns])
    judged = on_time = 0
    for n in ns:
        ack = acknowledged_at(steps[n.id])
        if n.due_at is None or (ack is None and now <= n.due_at):
            continue
        judged += 1
        on_time += ack is not None and ack <= n.due_at
    return [ReportFigure(NAME, school_id, "notifications", "Operation Encompass notifications",
                         len(ns)),
            ReportFigure(NAME, school_id, "on_time", "Encompass acknowledged before the next "
                         "school day", on_time, judged)]
