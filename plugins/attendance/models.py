"""Registers (a week per row), their import batches and safeguarding signals."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import NO_SCHOOL_KEY, Base, SchoolScoped, utcnow


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


class AttendanceWeek(SchoolScoped, Base):
    """One pupil's register for one week (Monday ``week_start``): the marks of its fourteen
    sessions (Monday AM to Sunday PM) in ``marks``, two characters each (see :mod:`.weeks`),
    and the week's counts, kept in step with the marks whenever they are written, so pages read
    these rather than counting marks.

    Stored a week to a row, as an MIS keeps its registers, because the marks are by far the
    largest data (a secondary school records about 2.5 million a year): a row per mark made a
    year's import write ten times the rows and index entries, which was most of its cost. The
    counts only include days the pupil was on roll (recomputed when roll dates change).

    That the pupil is at the row's school (and stays there while it has marks) is enforced by
    triggers created in migration att0002 rather than a composite foreign key: the same
    guarantee, but on PostgreSQL checked once per statement with one join instead of one key
    lookup per row of a bulk import. ``batch_id`` is the import that last wrote the week."""

    __tablename__ = "attendance_weeks"
    __table_args__ = (
        CheckConstraint("length(marks) = 28", name="marks_fourteen_sessions"),
        Index("ix_attendance_weeks_school_week", "school_id", "week_start"),
    )

    school_id: Mapped[int] = mapped_column(Integer)
    trust_id: Mapped[int] = mapped_column(Integer)
    # pinned to the pupil's school by those triggers, not by the mixin's composite key
    pupil_id: Mapped[int] = mapped_column(primary_key=True, info=NO_SCHOOL_KEY)
    week_start: Mapped[dt.date] = mapped_column(primary_key=True)
    marks: Mapped[str] = mapped_column(String(28))
    possible: Mapped[int] = mapped_column(default=0)
    present: Mapped[int] = mapped_column(default=0)  # includes late before registers close
    aea: Mapped[int] = mapped_column(default=0)
    authorised: Mapped[int] = mapped_column(default=0)
    unauthorised: Mapped[int] = mapped_column(default=0)  # includes late after registers close
    late_before: Mapped[int] = mapped_column(default=0)
    late_after: Mapped[int] = mapped_column(default=0)
    not_possible: Mapped[int] = mapped_column(default=0)
    batch_id: Mapped[int | None]


class AttendanceTerm(SchoolScoped, Base):
    """A span of days (a term or half-term of the school's calendar, or the holiday between
    two) whose per-pupil totals are kept in :class:`AttendanceTermCount`. A school's spans
    never overlap; they are set from its calendar and recounted on every import that touches
    them (:mod:`.terms`), so a year's or a term's figures add up a handful of rows per pupil
    instead of a row per week."""

    __tablename__ = "attendance_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_start: Mapped[dt.date]
    term_end: Mapped[dt.date]
    counted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # the last day of the span with any stored mark (None: none yet): while it is on or before
    # a period's end, the span's totals are the period's for those days, so "this year to
    # date" sums the current term's totals instead of its week rows
    last_marked: Mapped[dt.date | None]

    __table_args__ = (UniqueConstraint("school_id", "term_start"),)


class AttendanceTermCount(SchoolScoped, Base):
    """One pupil's totals over one :class:`AttendanceTerm` span: the same counts as the week
    rows (only days the pupil was on roll), summed over the span's days exactly (part-weeks at
    either end counted from the marks). Persistent and severe absence over any run of whole
    spans are sums of these rows."""

    __tablename__ = "attendance_term_counts"
    __table_args__ = (
        Index("ix_attendance_term_counts_school_term", "school_id", "term_start"),
    )

    pupil_id: Mapped[int] = mapped_column(primary_key=True)
    term_start: Mapped[dt.date] = mapped_column(primary_key=True)
    term_end: Mapped[dt.date]
    possible: Mapped[int] = mapped_column(default=0)
    present: Mapped[int] = mapped_column(default=0)
    aea: Mapped[int] = mapped_column(default=0)
    authorised: Mapped[int] = mapped_column(default=0)
    unauthorised: Mapped[int] = mapped_column(default=0)
    late_before: Mapped[int] = mapped_column(default=0)
    late_after: Mapped[int] = mapped_column(default=0)
    not_possible: Mapped[int] = mapped_column(default=0)


class Signal(SchoolScoped, Base):
    """An attendance pattern worth a DSL's attention. One per ``dedupe_key``: analysis run
    twice finds the same signal, not a second one."""

    __tablename__ = "attendance_signals"
    __table_args__ = (
        UniqueConstraint("school_id", "dedupe_key"),
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
