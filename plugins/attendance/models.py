"""Register marks, their import batches, weekly summaries and safeguarding signals."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, SchoolScoped, utcnow

# SQLite only auto-numbers an INTEGER PRIMARY KEY; PostgreSQL needs 64 bits for ~20M rows a year.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class RegisterMark(SchoolScoped, Base):
    """One pupil's mark for one session. Written in bulk by :mod:`.store`, never one by one.
    ``week_start`` (the Monday) is kept so weekly summaries rebuild with a plain GROUP BY.

    The biggest table by far (~20 million rows a year for a large trust), so it carries only
    what its readers and the upsert need: the natural key (pupil, date, session) as primary
    key and one (school, date) index. That each mark's pupil is at the mark's school (and
    stays there while it has marks) is enforced by triggers created in migration att0001,
    not a composite foreign key: the same guarantee, but on PostgreSQL checked once per
    statement with one join instead of one key lookup per mark, which was the largest single
    cost of a bulk import. ``school_id`` and ``trust_id`` repeat the pupil's (the tenant key
    on every row, for row-level security and sharding) without foreign keys of their own,
    and ``batch_id`` is a plain reference."""

    __tablename__ = "attendance_marks"
    __table_args__ = (
        CheckConstraint("session IN ('AM','PM')", name="session_am_pm"),
        Index("ix_attendance_marks_school_date", "school_id", "date"),
    )

    school_id: Mapped[int] = mapped_column(Integer)
    trust_id: Mapped[int] = mapped_column(Integer)
    pupil_id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(primary_key=True)
    session: Mapped[str] = mapped_column(String(2), primary_key=True)
    code: Mapped[str] = mapped_column(String(2))
    week_start: Mapped[dt.date]
    batch_id: Mapped[int | None]


class ImportBatch(SchoolScoped, Base):
    """One import (a file or an API upload): what came in, how far it got, every bad row."""

    __tablename__ = "attendance_import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(10))  # csv | ctf | api
    layout: Mapped[dict] = mapped_column(default=dict)  # column mapping for CSV
    filename: Mapped[str] = mapped_column(String(255), default="")
    stored_path: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued|running|done|failed
    rows_read: Mapped[int] = mapped_column(default=0)
    marks_imported: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list] = mapped_column(default=list)  # first ERROR_LIMIT {line, field, problem}
    first_date: Mapped[dt.date | None]
    last_date: Mapped[dt.date | None]
    job_id: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]


class WeeklySummary(SchoolScoped, Base):
    """A pupil's sessions in one week (Monday ``week_start``), rebuilt from the marks whenever a
    week's marks change, so pages read these rather than a year of marks."""

    __tablename__ = "attendance_weekly_summaries"
    __table_args__ = (
        UniqueConstraint("pupil_id", "week_start"),
        ForeignKeyConstraint(["pupil_id", "school_id"], ["pupils.id", "pupils.school_id"]),
        Index("ix_attendance_weekly_school_week", "school_id", "week_start"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    pupil_id: Mapped[int]
    week_start: Mapped[dt.date]
    possible: Mapped[int] = mapped_column(default=0)
    present: Mapped[int] = mapped_column(default=0)  # includes late before registers close
    aea: Mapped[int] = mapped_column(default=0)
    authorised: Mapped[int] = mapped_column(default=0)
    unauthorised: Mapped[int] = mapped_column(default=0)  # includes late after registers close
    late_before: Mapped[int] = mapped_column(default=0)
    late_after: Mapped[int] = mapped_column(default=0)
    not_possible: Mapped[int] = mapped_column(default=0)


class Signal(SchoolScoped, Base):
    """An attendance pattern worth a DSL's attention. One per ``dedupe_key``: analysis run
    twice finds the same signal, not a second one."""

    __tablename__ = "attendance_signals"
    __table_args__ = (
        UniqueConstraint("school_id", "dedupe_key"),
        ForeignKeyConstraint(["pupil_id", "school_id"], ["pupils.id", "pupils.school_id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(30))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    first_date: Mapped[dt.date]
    last_date: Mapped[dt.date]
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[dt.datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
