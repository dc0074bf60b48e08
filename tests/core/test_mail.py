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
