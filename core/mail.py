"""Outgoing mail: queued as a row, sent by a job through SMTP when it is configured. Without
SMTP the message stays in the outbox (visible to admins), so nothing is lost."""
from __future__ import annotations

import datetime as dt
import smtplib
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import SYSTEM, current_database, utcnow
from core.models import MailMessage

_smtp: dict = {}


def configure(settings) -> None:
    _smtp.update(host=settings.smtp_host, port=settings.smtp_port, user=settings.smtp_user,
                 password=settings.smtp_password, sender=settings.smtp_from, tls=settings.smtp_tls)


def queue_mail(session: Session, to: str, subject: str, body: str,
               dedupe_key: str | None = None) -> MailMessage | None:
    """Add a message to the outbox in the caller's transaction; with a ``dedupe_key`` a
    second call for the same event adds nothing (reminders sent once). :func:`send_pending`
    is queued for when that transaction commits (once, however many messages)."""
    if dedupe_key and session.scalar(select(MailMessage.id).where(
            MailMessage.dedupe_key == dedupe_key)):
        return None
    msg = MailMessage(to=to, subject=subject[:200], body=body, dedupe_key=dedupe_key)
    session.add(msg)
    session.flush()
    from core.jobs import enqueue_after_commit

    enqueue_after_commit(session, send_pending, on_failure=sending_failed)
    return msg


def sending_failed(job_id: str, reason: str) -> None:
    """``on_failure`` of :func:`send_pending`: every attempt failed (the mail server is
    away), so each unsent message says why; :func:`resend_unsent` tries again later."""
    with current_database().transaction(SYSTEM) as s:
        for m in s.scalars(select(MailMessage).where(MailMessage.sent_at.is_(None))):
            m.error = f"not sent yet ({reason[:300]}); tried again every 10 minutes"


RESEND_EVERY = dt.timedelta(minutes=10)


def resend_unsent(now: dt.datetime | None = None) -> str | None:
    """Queue a send when messages have waited unsent for a while (their job failed for good),
    at most one per ten-minute slot however many schedulers ask: mail is never dropped.
    Called by the job upkeep; returns the job id, or ``None`` when there is nothing to do."""
    if not _smtp.get("host"):
        return None
    from core.jobs import enqueue

    now = now or utcnow()
    with current_database().transaction(SYSTEM) as s:
        waiting = s.scalar(select(MailMessage.id).where(
            MailMessage.sent_at.is_(None), MailMessage.created_at < now - RESEND_EVERY)
            .limit(1))
    if waiting is None:
        return None
    slot = int(now.timestamp() // RESEND_EVERY.total_seconds())
    return enqueue(send_pending, job_id=f"mail:resend:{slot}", rerun=False,
                   on_failure=sending_failed)


def send_pending() -> dict:
    """Job: send every unsent message through SMTP. Idempotent: sent ones are skipped."""
    if not _smtp.get("host"):
        return {"sent": 0, "reason": "no SMTP configured; messages kept in the outbox"}
    sent = 0
    with current_database().transaction(SYSTEM) as s:
        pending = list(s.scalars(select(MailMessage).where(MailMessage.sent_at.is_(None))))
        if not pending:
            return {"sent": 0}
        with smtplib.SMTP(_smtp["host"], _smtp["port"], timeout=30) as smtp:
            if _smtp.get("tls"):
                smtp.starttls()
            if _smtp.get("user"):
                smtp.login(_smtp["user"], _smtp["password"] or "")
            for m in pending:
                em = EmailMessage()
                em["From"], em["To"], em["Subject"] = _smtp["sender"], m.to, m.subject
                em.set_content(m.body)
                try:
                    smtp.send_message(em)
                    m.sent_at, m.error = utcnow(), None
                    sent += 1
                except smtplib.SMTPException as exc:
                    m.error = str(exc)[:1000]
    return {"sent": sent}
