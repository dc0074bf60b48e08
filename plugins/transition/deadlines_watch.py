"""Watching the deadlines: the DSL dashboard's lists, the trust overview's figures and the
daily reminders (mail once per event, alert once per transfer, an automatic chase when a sent
file is still unconfirmed after 5 school days, and a failed status when a link expires
unused)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core import alerts
from core.calendar import LONDON, calendar_for, london_today, uk_date
from core.contributions import Metric, MetricDefinition
from core.db import system_scope, utcnow
from core.mail import queue_mail
from core.models import Membership, School, User
from plugins.transition import deadlines, transfers
from plugins.transition.definition import NAME
from plugins.transition.models import DownloadLink, IncomingFile, Transfer

NOT_SENT = ("pending", "prepared", "failed")
UNCONFIRMED = ("sent", "viewed")

METRICS = [
    MetricDefinition(NAME, "sent_on_time_pct", "Transfers sent on time", "%", None, True),
    MetricDefinition(NAME, "overdue_now", "Transfers overdue now", "", None, False),
    MetricDefinition(NAME, "awaiting_receipt", "Transfers awaiting receipt", "", None, False),
    MetricDefinition(NAME, "incoming_outstanding", "Incoming files outstanding", "", None,
                     False),
]


@dataclass
class Watch:
    overdue: list[Transfer] = field(default_factory=list)
    due_soon: list[Transfer] = field(default_factory=list)
    on_track: list[Transfer] = field(default_factory=list)
    awaiting_receipt: list[Transfer] = field(default_factory=list)
    inbox_waiting: int = 0
    incoming_outstanding: int = 0


def watch(session: Session, school_id: int, today: dt.date | None = None) -> Watch:
    """Unfinished transfers of a school by urgency, and what waits for it as a receiver."""
    today = today or london_today()
    cal = calendar_for(session, school_id)
    w = Watch()
    for t in session.scalars(select(Transfer).where(
            Transfer.school_id == school_id, Transfer.status.in_(transfers.UNFINISHED))
            .order_by(Transfer.due_date, Transfer.id)):
        getattr(w, deadlines.timing(cal, today, t.due_date)).append(t)
        if t.status in UNCONFIRMED:
            w.awaiting_receipt.append(t)
    with system_scope(session, "transition: count files sent to this school"):
        w.inbox_waiting = session.scalar(select(func.count()).select_from(Transfer).where(
            Transfer.destination_school_id == school_id, Transfer.route == "trust",
            Transfer.status.in_(("sent", "viewed", "receipt_confirmed"))))
    w.incoming_outstanding = session.scalar(select(func.count()).select_from(IncomingFile).where(
        IncomingFile.school_id == school_id, IncomingFile.received_at.is_(None)))
    return w


def _sent_day(t: Transfer) -> dt.date | None:
    return t.first_sent_at.astimezone(LONDON).date() if t.first_sent_at else None


def metrics(session: Session, school_id: int, start: dt.date, end: dt.date,
            today: dt.date | None = None) -> list[Metric]:
    """Sent on time (of transfers whose deadline fell in the period and has passed, or that
    were sent), overdue now, awaiting receipt, incoming files outstanding."""
    today = today or london_today()
    due_in = list(session.scalars(select(Transfer).where(
        Transfer.school_id == school_id, Transfer.due_date >= start, Transfer.due_date <= end)))
    judged = [t for t in due_in if t.due_date < today or t.first_sent_at is not None]
    on_time = [t for t in judged if _sent_day(t) is not None and _sent_day(t) <= t.due_date]
    w = watch(session, school_id, today)
    return [
        Metric(NAME, school_id, "sent_on_time_pct",
               round(100 * len(on_time) / len(judged), 1) if judged else None),
        Metric(NAME, school_id, "overdue_now", len(w.overdue)),
        Metric(NAME, school_id, "awaiting_receipt", len(w.awaiting_receipt)),
        Metric(NAME, school_id, "incoming_outstanding", w.incoming_outstanding),
    ]


def metrics_many(session: Session, school_ids: list[int], start: dt.date, end: dt.date,
                 today: dt.date | None = None) -> list[Metric]:
    """:func:`metrics` for many schools in three grouped statements: the transfers due in the
    period (when sent, if sent), unfinished transfers overdue and awaiting receipt, and
    incoming files outstanding, per school. Overdue is ``due_date`` before today, as
    :func:`.deadlines.timing` says of an unfinished transfer."""
    if not school_ids:
        return []
    today = today or london_today()
    judged: dict[int, list[tuple]] = {sid: [] for sid in school_ids}  # (due, day sent)
    for sid, due, sent in session.execute(select(
            Transfer.school_id, Transfer.due_date, Transfer.first_sent_at).where(
            Transfer.school_id.in_(school_ids), Transfer.due_date >= start,
            Transfer.due_date <= end)):
        if due < today or sent is not None:
            judged[sid].append((due, sent.astimezone(LONDON).date() if sent else None))
    unfinished = {sid: (overdue, unconfirmed) for sid, overdue, unconfirmed in session.execute(
        select(Transfer.school_id,
               func.sum(case((Transfer.due_date < today, 1), else_=0)),
               func.sum(case((Transfer.status.in_(UNCONFIRMED), 1), else_=0)))
        .where(Transfer.school_id.in_(school_ids),
               Transfer.status.in_(transfers.UNFINISHED))
        .group_by(Transfer.school_id))}
    incoming = dict(session.execute(select(IncomingFile.school_id, func.count()).where(
        IncomingFile.school_id.in_(school_ids), IncomingFile.received_at.is_(None))
        .group_by(IncomingFile.school_id)).all())
    out = []
    for sid in school_ids:
        rows = judged[sid]
        on_time = sum(1 for due, sent_day in rows if sent_day is not None and sent_day <= due)
        overdue, unconfirmed = unfinished.get(sid, (0, 0))
        out += [
            Metric(NAME, sid, "sent_on_time_pct",
                   round(100 * on_time / len(rows), 1) if rows else None),
            Metric(NAME, sid, "overdue_now", int(overdue or 0)),
            Metric(NAME, sid, "awaiting_receipt", int(unconfirmed or 0)),
            Metric(NAME, sid, "incoming_outstanding", incoming.get(sid, 0)),
        ]
    return out


def dsl_emails(session: Session, school_id: int) -> list[str]:
    return sorted(session.scalars(select(User.email).join(
        Membership, Membership.user_id == User.id).where(
        Membership.school_id == school_id, Membership.role.in_(("dsl", "deputy_dsl")),
        User.active.is_(True))).unique())


def _mail_all(session: Session, to: list[str], subject: str, body: str, key: str) -> int:
    """Queue one message per address, once per event (``key``). Mail names no child: it says
    a transfer needs attention and where to look."""
    return sum(1 for addr in to
               if queue_mail(session, addr, subject, body, dedupe_key=f"{key}:{addr}")
               is not None)


def reminders(session: Session, school_id: int, today: dt.date | None = None) -> dict:
    """One pass of the daily reminders for a school (idempotent). Returns what it did."""
    today = today or london_today()
    done = {"mails": 0, "alerts": 0, "chased": 0, "failed": 0}
    _expire_links(session, school_id, done)
    w = watch(session, school_id, today)
    with system_scope(session, "transition: school name"):
        name = session.scalar(select(School.name).where(School.id == school_id))
    own = dsl_emails(session, school_id)
    link = f"/schools/{school_id}/transition/transfers/"
    for t in w.due_soon:
        if t.status in NOT_SENT:
            done["mails"] += _mail_all(
                session, own, "Child-protection file due soon",
                f"A child-protection file transfer (ref T{t.id}) from {name} is due by "
                f"{uk_date(t.due_date, weekday=True)}. Open {link}{t.id} to prepare and send it.",
                f"transition:due_soon:{t.id}")
    for t in w.overdue:
        unconfirmed = t.status in UNCONFIRMED
        kind = "transfer_unconfirmed" if unconfirmed else "transfer_overdue"
        msg = (f"Child-protection file for {t.pupil_name} sent but not confirmed by its "
               f"deadline ({uk_date(t.due_date)}): chase the receiving school"
               if unconfirmed else
               f"Child-protection file for {t.pupil_name} was due by {uk_date(t.due_date)} "
               "and has not been sent")
        _, new = alerts.raise_alert(session, school_id, kind, msg,
                                    dedupe_key=f"transition:{kind}:{t.id}", plugin=NAME,
                                    pupil_id=t.pupil_id, link=f"{link}{t.id}")
        done["alerts"] += int(new)
        done["mails"] += _mail_all(
            session, own, "Child-protection file overdue",
            f"Transfer ref T{t.id} from {name} passed its deadline of {uk_date(t.due_date)} "
            f"without {'confirmation of receipt' if unconfirmed else 'being sent'}. "
            f"Open {link}{t.id}.", f"transition:{kind}:{t.id}")
        if unconfirmed:
            done["chased"] += _chase(session, t, name)
    for t in session.scalars(select(Transfer).where(
            Transfer.school_id == school_id,
            Transfer.status.in_(("receipt_confirmed", "accepted", "rejected")))):
        for kind in ("transfer_overdue", "transfer_unconfirmed"):
            alerts.resolve(session, school_id, f"transition:{kind}:{t.id}")
    return done


def _chase(session: Session, t: Transfer, sender_name: str) -> int:
    """Chase the receiving DSLs once (in the trust by mail; outside it the sender phones)."""
    key = f"auto-chase:{t.id}"
    if transfers.replayed(session, t, key) is not None:
        return 0
    sent_to: list[str] = []
    if t.route == "trust" and t.destination_school_id:
        with system_scope(session, "transition: receiving DSLs to chase"):
            sent_to = dsl_emails(session, t.destination_school_id)
        _mail_all(session, sent_to, "Please confirm receipt of a child-protection file",
                  f"{sender_name} sent you a child-protection file (ref T{t.id}) that has not "
                  "been confirmed. Open your transition inbox to confirm receipt.",
                  f"transition:chase:{t.id}")
    transfers.add_event(session, t, "chased", actor=None, acting_school_id=t.school_id, key=key,
                      data={"mailed": len(sent_to), "route": t.route})
    return 1


def _expire_links(session: Session, school_id: int, done: dict) -> None:
    """A bundle whose only live link expired unused has not reached anyone: failed."""
    now = utcnow()
    for t in session.scalars(select(Transfer).where(Transfer.school_id == school_id,
                                                    Transfer.route == "bundle",
                                                    Transfer.status == "sent")):
        links = list(session.scalars(select(DownloadLink).where(
            DownloadLink.transfer_id == t.id, DownloadLink.school_id == school_id)
            .order_by(DownloadLink.id)))
        if links and links[-1].used_at is None and links[-1].revoked_at is None \
                and links[-1].expires_at <= now:
            transfers.add_event(session, t, "failed", actor=None, acting_school_id=school_id,
                              reason="the download link expired without being used",
                              key=f"link-expired:{links[-1].id}")
            done["failed"] += 1
