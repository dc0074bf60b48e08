"""Outgoing mail: queued in the outbox, sent once by the job, kept when SMTP is absent."""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from core import mail
from core.db import SYSTEM
from core.models import MailMessage


class RecordingSMTP:
    """Stands in for the SMTP server (the one outside service the tests cannot run)."""
    sent: list = []

    def __init__(self, host, port, timeout):
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, msg):
        RecordingSMTP.sent.append((msg["To"], msg["Subject"]))


def _settings(host):
    return SimpleNamespace(smtp_host=host, smtp_port=25, smtp_user=None, smtp_password=None,
                           smtp_from="sg@example.org", smtp_tls=False)


def test_reminder_with_a_dedupe_key_is_queued_once(session):
    assert mail.queue_mail(session, "a@example.org", "Renew training", "...", "renew:1")
    assert mail.queue_mail(session, "a@example.org", "Renew training", "...", "renew:1") is None
    assert len(session.scalars(select(MailMessage)).all()) == 1


def test_send_pending_sends_each_message_once(db, session, monkeypatch):
    mail.queue_mail(session, "a@example.org", "One", "body")
    mail.queue_mail(session, "b@example.org", "Two", "body")
    session.commit()
    monkeypatch.setattr(mail.smtplib, "SMTP", RecordingSMTP)
    RecordingSMTP.sent = []
    mail.configure(_settings("smtp.example.org"))
    try:
        assert mail.send_pending() == {"sent": 2}
        assert mail.send_pending() == {"sent": 0}
    finally:
        mail.configure(_settings(None))
    assert sorted(RecordingSMTP.sent) == [("a@example.org", "One"), ("b@example.org", "Two")]
    with db.session(SYSTEM) as s:
        assert all(m.sent_at for m in s.scalars(select(MailMessage)))


def test_without_smtp_messages_stay_in_the_outbox(db, session):
    mail.configure(_settings(None))
    mail.queue_mail(session, "a@example.org", "Kept", "body")
    session.commit()
    assert mail.send_pending()["sent"] == 0
    with db.session(SYSTEM) as s:
        [m] = s.scalars(select(MailMessage)).all()
        assert m.sent_at is None and m.subject == "Kept"


class DownSMTP(RecordingSMTP):
    """A mail server that cannot be reached."""

    def __init__(self, host, port, timeout):
        raise ConnectionRefusedError(111, "Connection refused")


def test_mail_whose_server_is_down_says_why_and_is_sent_later(db, session, monkeypatch):
    import datetime as dt

    from core import jobs
    from core.db import utcnow
    from core.models import JobRun

    jobs.configure(None)
    monkeypatch.setattr(mail.smtplib, "SMTP", DownSMTP)
    mail.configure(_settings("smtp.example.org"))
    try:
        mail.queue_mail(session, "dsl@example.org", "Police notification", "body")
        session.commit()  # the send job runs inline after the commit, and fails
        with db.session(SYSTEM) as s:
            [m] = s.scalars(select(MailMessage)).all()
            assert m.sent_at is None and "Connection refused" in m.error
            [run] = s.scalars(select(JobRun).where(JobRun.func == "core.mail:send_pending"))
            assert run.status == "failed"
        assert mail.resend_unsent() is None  # too soon: it has not waited yet
        later = utcnow() + dt.timedelta(minutes=11)
        first = mail.resend_unsent(later)  # still down: tried, failed again
        assert first is not None and mail.resend_unsent(later) == first  # once per slot
        assert jobs.job_status(first).attempts == 1
        monkeypatch.setattr(mail.smtplib, "SMTP", RecordingSMTP)  # the server is back
        RecordingSMTP.sent = []
        assert mail.resend_unsent(later + dt.timedelta(minutes=10)) not in (None, first)
        assert RecordingSMTP.sent == [("dsl@example.org", "Police notification")]
        assert mail.resend_unsent(later + dt.timedelta(minutes=30)) is None  # all sent
        with db.session(SYSTEM) as s:
            assert s.scalars(select(MailMessage)).one().sent_at is not None
    finally:
        mail.configure(_settings(None))
