"""Records of the platform itself: audit log, plugin switches, job runs and outgoing mail."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import AppendOnly, Base, SchoolScoped, utcnow


class AuditEntry(AppendOnly, Base):
    """One hash-chained line of the audit log: ``hash`` covers this entry's fields and the
    previous entry's hash, so editing or removing any line breaks every hash after it."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_chain_seq", "chain", "seq", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(index=True)
    trust_id: Mapped[int | None] = mapped_column(index=True)
    school_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(60), default="")
    object_id: Mapped[str] = mapped_column(String(60), default="")
    detail: Mapped[dict] = mapped_column(default=dict)
    ip: Mapped[str] = mapped_column(String(64), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # the chain (school:7, school:7:reads, trust:2, platform; legacy: before keyed chains) and
    # the entry's place in it, from 1 (see core.audit)
    chain: Mapped[str] = mapped_column(String(80), default="legacy", server_default="legacy")
    seq: Mapped[int | None]


class PluginSetting(SchoolScoped, Base):
    __tablename__ = "plugin_settings"
    __table_args__ = (UniqueConstraint("school_id", "plugin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(default=False)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class JobRun(Base):
    """One background job and what happened to it: the source of truth, committed with the
    data that needs it (a transactional outbox). ``queued`` (with ``dispatched_at`` NULL while
    it waits for the queue), ``running`` (with progress and a heartbeat), ``done``, ``failed``
    or ``skipped`` (its plugin is off for the school)."""

    __tablename__ = "job_runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    func: Mapped[str] = mapped_column(String(200))
    school_id: Mapped[int | None] = mapped_column(index=True)
    plugin: Mapped[str | None] = mapped_column(String(40))
    user_id: Mapped[int | None]
    args: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None]
    message: Mapped[str] = mapped_column(String(500), default="")
    result: Mapped[dict | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    enqueued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    # the outbox: NULL until RQ has the job (a Redis outage leaves it NULL, never lost)
    dispatched_at: Mapped[dt.datetime | None]
    run_after: Mapped[dt.datetime | None]  # a retry waits for its backoff
    max_attempts: Mapped[int] = mapped_column(default=4)
    heartbeat_at: Mapped[dt.datetime | None]  # a running job's sign of life
    worker: Mapped[str | None] = mapped_column(String(120))
    recurring: Mapped[str | None] = mapped_column(String(80), index=True)


class MailMessage(Base):
    """Outgoing mail. Sent by a job through SMTP when configured; kept either way."""

    __tablename__ = "mail_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
