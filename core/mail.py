"""Outgoing mail: queued as a row, sent by a job through SMTP when it is configured. Without
SMTP the message stays in the outbox (visible to admins), so nothing is lost."""
from __future__ import annotations

import datetime as dt
import smtplib
from email.message import EmailMessage

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.db import SYSTEM, current_database, system_scope, utcnow
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
    # the outbox is the platform's, not a school's: a scoped request's database role sees
    # none of it (core.rls), so the dedupe check and the write work in the system scope
    # (the caller's own pending rows are flushed first, under the caller's scope)
    session.flush()
    with system_scope(session, "mail outbox"):
        if dedupe_key and session.scalar(select(MailMessage.id).where(
                MailMessage.dedupe_key == dedupe_key)):
            return None
        msg = MailMessage(to=to, subject=subject[:200], body=body, dedupe_key=dedupe_key)
        session.add(msg)
        session.flush()
        from core.jobs import enqueue_after_commit

        enqueue_after_commit(session, send_pending, on_failure=sending_failed)
        session.flush()
    return msg


def sending_failed(job_id: str, reason: str) -> None:
    """``on_failure`` of :func:`send_pending`: every attempt failed (the mail server is
    away), so each unsent message says why; :func:`resend_unsent` tries again later."""
    with current_database().transaction(SYSTEM) as s:
        for m in s.scalars(select(MailMessage).where(MailMessage.sent_at.is_(None))):
            if not (m.error or "").startswith(REFUSED):
                m.error = f"not sent yet ({reason[:300]}); tried again every 10 minutes"


RESEND_EVERY = dt.timedelta(minutes=10)
RESEND_JOB = "mail_resend"
REFUSED = "refused: "  # the server refused this message: sending it again will not help


def resend_unsent(now: dt.datetime | None = None) -> str | None:
    """Queue a send when messages have waited unsent for a while (their job failed for good),
    at most once every ten minutes however many schedulers ask: mail is never dropped.
    Called by the job upkeep; returns the job id, or ``None`` when there is nothing to do."""
    if not _smtp.get("host"):
        return None
    from core.jobs import enqueue

    from core.models import JobRun

    now = now or utcnow()
    with current_database().transaction(SYSTEM) as s:
        waiting = s.scalar(select(MailMessage.id).where(
            MailMessage.sent_at.is_(None), MailMessage.created_at < now - RESEND_EVERY,
            or_(MailMessage.error.is_(None), ~MailMessage.error.startswith(REFUSED)))
            .limit(1))
        last = s.get(JobRun, RESEND_JOB)
        recent = last is not None and (last.status in ("queued", "running") or (
            last.finished_at is not None and last.finished_at > now - RESEND_EVERY))
    if waiting is None or recent:
        return None
    # one row, re-armed each time: a mail server down for a day is one failed job, not 144
    return enqueue(send_pending, job_id=RESEND_JOB, on_failure=sending_failed)


def send_pending() -> dict:
    """Job: send every unsent message through SMTP. Idempotent, and safe beside another send
    job: each message is taken with a row lock that other senders skip (PostgreSQL) and marked
    sent in its own short transaction, so two jobs at once never send one message twice."""
    if not _smtp.get("host"):
        return {"sent": 0, "reason": "no SMTP configured; messages kept in the outbox"}
    sent, last_id, smtp = 0, 0, None
    try:
        while True:
            with current_database().transaction(SYSTEM) as s:
                m = s.scalars(select(MailMessage).where(
                    MailMessage.sent_at.is_(None), MailMessage.id > last_id)
                    .order_by(MailMessage.id).limit(1)
                    .with_for_update(skip_locked=True)).first()
                if m is None:
                    break
                last_id = m.id
                if smtp is None:
                    smtp = _connect()
                em = EmailMessage()
                em["From"], em["To"], em["Subject"] = _smtp["sender"], m.to, m.subject
                em.set_content(m.body)
                try:
                    smtp.send_message(em)
                    m.sent_at, m.error = utcnow(), None
                    sent += 1
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                        smtplib.SMTPDataError) as exc:  # this message, not the server
                    m.error = f"{REFUSED}{exc}"[:1000]
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
    return {"sent": sent}


def _connect() -> smtplib.SMTP:
    smtp = smtplib.SMTP(_smtp["host"], _smtp["port"], timeout=30)
    if _smtp.get("tls"):
        smtp.starttls()
    if _smtp.get("user"):
        smtp.login(_smtp["user"], _smtp["password"] or "")
    return smtp
