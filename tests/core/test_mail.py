"""Outgoing mail: queued in the outbox, sent once by the job, kept when SMTP is absent."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
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

    def quit(self):
        pass


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
        def minutes_pass(n):
            with db.transaction(SYSTEM) as s:
                for m in s.scalars(select(MailMessage)):
                    m.created_at -= dt.timedelta(minutes=n)
                resend = s.get(JobRun, mail.RESEND_JOB)
                if resend is not None:
                    resend.finished_at -= dt.timedelta(minutes=n)

        minutes_pass(11)
        first = mail.resend_unsent()  # still down: tried, failed again
        assert first == mail.RESEND_JOB and jobs.job_status(first).status == "failed"
        assert mail.resend_unsent() is None  # not again within ten minutes
        minutes_pass(11)
        monkeypatch.setattr(mail.smtplib, "SMTP", RecordingSMTP)  # the server is back
        RecordingSMTP.sent = []
        assert mail.resend_unsent() == first  # the same row, re-armed
        assert RecordingSMTP.sent == [("dsl@example.org", "Police notification")]
        run = jobs.job_status(first)
        assert (run.status, run.attempts) == ("done", 2)  # one row, not one per try
        minutes_pass(30)
        assert mail.resend_unsent() is None  # all sent
        with db.session(SYSTEM) as s:
            assert s.scalars(select(MailMessage)).one().sent_at is not None
    finally:
        mail.configure(_settings(None))


class RefusingSMTP(RecordingSMTP):
    def send_message(self, msg):
        if msg["To"].startswith("nobody"):
            raise mail.smtplib.SMTPRecipientsRefused({msg["To"]: (550, b"no such user")})
        super().send_message(msg)


def test_a_refused_address_is_recorded_and_not_sent_again_and_again(db, session, monkeypatch):
    import datetime as dt

    from core.db import utcnow

    mail.queue_mail(session, "nobody@example.org", "One", "body")
    mail.queue_mail(session, "dsl@example.org", "Two", "body")
    session.commit()
    monkeypatch.setattr(mail.smtplib, "SMTP", RefusingSMTP)
    RecordingSMTP.sent = []
    mail.configure(_settings("smtp.example.org"))
    try:
        assert mail.send_pending() == {"sent": 1}
        assert RecordingSMTP.sent == [("dsl@example.org", "Two")]
        with db.session(SYSTEM) as s:
            refused = s.scalars(select(MailMessage).where(MailMessage.to == "nobody@example.org")).one()
            assert refused.sent_at is None and refused.error.startswith("refused: ")
        assert mail.resend_unsent(utcnow() + dt.timedelta(hours=1)) is None
    finally:
        mail.configure(_settings(None))


@pytest.mark.postgresql_only
def test_two_senders_at_once_never_send_one_message_twice(database_factory, backend,
                                                          monkeypatch):
    """A message another sender holds (row lock) is skipped, not sent a second time."""
    from sqlalchemy import text

    from core.db import use_database

    url, base = database_factory.create(backend)
    use_database(base)
    with base.transaction(SYSTEM) as s:
        first = mail.queue_mail(s, "a@example.org", "Held by the other sender", "body").id
        mail.queue_mail(s, "b@example.org", "Free", "body")
    monkeypatch.setattr(mail.smtplib, "SMTP", RecordingSMTP)
    RecordingSMTP.sent = []
    mail.configure(_settings("smtp.example.org"))
    other = base.engine.connect()
    try:
        other.begin()
        other.execute(text("SELECT id FROM mail_messages WHERE id = :id FOR UPDATE"),
                      {"id": first})
        assert mail.send_pending() == {"sent": 1}
        assert RecordingSMTP.sent == [("b@example.org", "Free")]
    finally:
        other.rollback()
        other.close()
        mail.configure(_settings(None))
