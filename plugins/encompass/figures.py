"""Figures and contributions to the core's pages: the trust overview metrics, the DSL
dashboard panel, a pupil's chronology, the transfer file, and the overdue check."""
from __future__ import annotations

import datetime as dt
import statistics

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.calendar import LONDON
from core.contributions import ChronologyItem, Metric, MetricDefinition, TransferSection
from core.db import utcnow
from core.overview import pupils_on_roll, pupils_on_roll_many

from plugins.encompass.definition import NAME
from plugins.encompass.models import EncompassChild, EncompassNotification, EncompassStep
from plugins.encompass.notify import alert_and_mail
from plugins.encompass.response import (STEP_LABELS, SUPPORT, acknowledged_at, status_of,
                                        steps_of)

DEFINITIONS = [
    MetricDefinition(NAME, "per_100", "Encompass notifications per 100 pupils", "per 100"),
    MetricDefinition(NAME, "on_time_pct", "Encompass acknowledged before the next school day",
                     "%", None, True),
    MetricDefinition(NAME, "median_ack_hours", "Encompass median hours to acknowledgement",
                     "hours", None, False),
    MetricDefinition(NAME, "unmatched", "Encompass children waiting to be matched", "", None,
                     False),
]


def _steps_by_notification(session: Session, ids: list[int]) -> dict[int, list[EncompassStep]]:
    out: dict[int, list[EncompassStep]] = {i: [] for i in ids}
    for s in session.scalars(select(EncompassStep).where(EncompassStep.notification_id.in_(ids))
                             .order_by(EncompassStep.at, EncompassStep.id)):
        out[s.notification_id].append(s)
    return out


def waiting_count(session: Session, school_id: int) -> int:
    return len(session.scalars(select(EncompassChild.id).where(
        EncompassChild.school_id == school_id,
        EncompassChild.match.in_(("ambiguous", "unmatched")))).all())


def school_metrics(session: Session, school_id: int, start: dt.date, end: dt.date,
                   now: dt.datetime | None = None) -> list[Metric]:
    """One school's figures for notifications received from ``start`` to ``end``: rate per
    100 pupils; the share acknowledged by the deadline (of those acknowledged or already
    past it); the median hours from receipt to first acknowledgement; children waiting."""
    now = now or utcnow()
    lo = dt.datetime.combine(start, dt.time.min, LONDON)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, LONDON)
    ns = list(session.scalars(select(EncompassNotification).where(
        EncompassNotification.school_id == school_id, EncompassNotification.received_at >= lo,
        EncompassNotification.received_at < hi)))
    steps = _steps_by_notification(session, [n.id for n in ns])
    pupils = pupils_on_roll(session, school_id, start, end)
    judged = on_time = 0
    hours: list[float] = []
    for n in ns:
        ack = acknowledged_at(steps[n.id])
        if ack is not None:
            hours.append((ack - n.received_at).total_seconds() / 3600)
        if n.due_at is None:
            continue
        if ack is not None or now > n.due_at:
            judged += 1
            on_time += ack is not None and ack <= n.due_at
    return [
        Metric(NAME, school_id, "per_100", round(100 * len(ns) / pupils, 1) if pupils else None),
        Metric(NAME, school_id, "on_time_pct", round(100 * on_time / judged, 1) if judged else None),
        Metric(NAME, school_id, "median_ack_hours",
               round(statistics.median(hours), 1) if hours else None),
        Metric(NAME, school_id, "unmatched", waiting_count(session, school_id)),
    ]


def school_metrics_many(session: Session, school_ids: list[int], start: dt.date,
                        end: dt.date, now: dt.datetime | None = None) -> list[Metric]:
    """:func:`school_metrics` for many schools in three grouped statements: each
    notification of the period with its deadline and first acknowledgement (a subquery per
    notification, not its steps), pupils on roll and children waiting per school."""
    if not school_ids:
        return []
    now = now or utcnow()
    lo = dt.datetime.combine(start, dt.time.min, LONDON)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, LONDON)
    first_ack = (select(func.min(EncompassStep.at))
                 .where(EncompassStep.notification_id == EncompassNotification.id,
                        EncompassStep.school_id == EncompassNotification.school_id,
                        EncompassStep.kind == "acknowledged")
                 .correlate(EncompassNotification).scalar_subquery())
    per_school: dict[int, list[tuple]] = {sid: [] for sid in school_ids}
    for sid, received, due, ack in session.execute(select(
            EncompassNotification.school_id, EncompassNotification.received_at,
            EncompassNotification.due_at, first_ack).where(
            EncompassNotification.school_id.in_(school_ids),
            EncompassNotification.received_at >= lo, EncompassNotification.received_at < hi)):
        per_school[sid].append((received, due, ack))
    pupils = pupils_on_roll_many(session, school_ids, start, end)
    waiting = dict(session.execute(select(EncompassChild.school_id, func.count()).where(
        EncompassChild.school_id.in_(school_ids),
        EncompassChild.match.in_(("ambiguous", "unmatched")))
        .group_by(EncompassChild.school_id)).all())
    out = []
    for sid in school_ids:
        rows, n_pupils = per_school[sid], pupils.get(sid, 0)
        judged = on_time = 0
        hours: list[float] = []
        for received, due, ack in rows:
            if ack is not None:
                hours.append((ack - received).total_seconds() / 3600)
            if due is None:
                continue
            if ack is not None or now > due:
                judged += 1
                on_time += ack is not None and ack <= due
        out += [
            Metric(NAME, sid, "per_100", round(100 * len(rows) / n_pupils, 1) if n_pupils
                   else None),
            Metric(NAME, sid, "on_time_pct", round(100 * on_time / judged, 1) if judged
                   else None),
            Metric(NAME, sid, "median_ack_hours",
                   round(statistics.median(hours), 1) if hours else None),
            Metric(NAME, sid, "unmatched", waiting.get(sid, 0)),
        ]
    return out


def status_counts(session: Session, school_id: int, now: dt.datetime | None = None
                  ) -> dict[str, int]:
    """How many of the school's notifications are in each status."""
    ns = list(session.scalars(select(EncompassNotification).where(
        EncompassNotification.school_id == school_id)))
    steps = _steps_by_notification(session, [n.id for n in ns])
    counts = {"new": 0, "overdue": 0, "awaiting_key_adult": 0, "awaiting_review": 0,
              "closed": 0}
    for n in ns:
        counts[status_of(n, steps[n.id], now)] += 1
    return counts


def check_overdue(session: Session, school_id: int, now: dt.datetime | None = None) -> int:
    """Alert the DSL team (in the app and by email) about each notification nobody has
    acknowledged by its deadline. Safe to run any number of times: one alert each."""
    now = now or utcnow()
    ns = list(session.scalars(select(EncompassNotification).where(
        EncompassNotification.school_id == school_id, EncompassNotification.due_at < now)))
    steps = _steps_by_notification(session, [n.id for n in ns])
    raised = 0
    for n in ns:
        if status_of(n, steps[n.id], now) != "overdue":
            continue
        due = n.due_at.astimezone(LONDON)
        raised += alert_and_mail(
            session, school_id, kind="encompass_overdue", key=f"encompass:overdue:{n.id}",
            message=f"Operation Encompass notification not yet seen by a key adult: it was due "
                    f"{due:%a %d %b %H:%M}", subject="Overdue Operation Encompass response",
            link=f"/schools/{school_id}/encompass/{n.id}", dsl_only=True)
    return raised


def chronology(session: Session, school_id: int, pupil_id: int) -> list[ChronologyItem]:
    """The pupil's notifications and each response step. Police detail (the summary, the
    child's words) stays on the notification page, behind its stricter access."""
    items: list[ChronologyItem] = []
    rows = session.scalars(select(EncompassNotification).join(
        EncompassChild, EncompassChild.notification_id == EncompassNotification.id)
        .where(EncompassChild.pupil_id == pupil_id, EncompassChild.school_id == school_id))
    for n in rows.unique():
        link = f"/schools/{school_id}/encompass/{n.id}"
        for s in steps_of(session, n.id):
            if s.pupil_id not in (None, pupil_id):
                continue
            if s.kind == "received":
                title = (f"Operation Encompass notification from {n.force or 'the police'} "
                         f"(incident {n.incident_date:%d/%m/%Y})")
                detail = "Linked: a family member was named at another school." \
                    if n.linked_from_id else ""
            else:
                title = f"Encompass: {STEP_LABELS[s.kind].lower()}"
                given = "; ".join(SUPPORT[k] for k in s.support)
                detail = ". ".join(part for part in (given, s.body) if part)
            items.append(ChronologyItem(NAME, f"encompass:{s.kind}", s.at, title, detail, link))
    return items


def transfer_section(session: Session, school_id: int, pupil_id: int) -> list[TransferSection]:
    """The pupil's notifications in summary, to travel with the child-protection file."""
    out = []
    rows = session.scalars(select(EncompassNotification).join(
        EncompassChild, EncompassChild.notification_id == EncompassNotification.id)
        .where(EncompassChild.pupil_id == pupil_id, EncompassChild.school_id == school_id)
        .order_by(EncompassNotification.received_at)).unique()
    for n in rows:
        steps = steps_of(session, n.id)
        ack = acknowledged_at(steps)
        out.append({
            "received_at": n.received_at.isoformat(), "incident_date": n.incident_date.isoformat(),
            "force": n.force, "police_reference": n.police_reference,
            "child_present": n.child_present, "welfare_check": n.welfare_check,
            "summary": n.summary, "acknowledged_at": ack.isoformat() if ack else None,
            "support": sorted({SUPPORT[k] for s in steps for k in s.support}),
            "status": status_of(n, steps),
        })
    if not out:
        return []
    text = "\n".join(f"{r['incident_date']}: notified by {r['force'] or 'the police'}"
                     f" ({r['status'].replace('_', ' ')})" for r in out)
    return [TransferSection(NAME, "Operation Encompass notifications", {"notifications": out},
                            text)]
