"""What the trust safeguarding lead writes: the narrative of each term's board report, and
case studies for practice reviews (a de-identified draft and every edit of it, kept).

Both are append-only: a new save is a new row, so what the board was told and what left the
platform as a case study can always be shown later."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import AppendOnly, Base, SchoolScoped, TrustScoped, school_key, utcnow


class BoardNarrative(TrustScoped, AppendOnly, Base):
    """One save of the lead's narrative for a term's board report; the newest is the one the
    report prints. ``term_start`` names the term (its first day, as the calendar has it)."""

    __tablename__ = "board_narratives"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_start: Mapped[dt.date] = mapped_column(index=True)
    term_name: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text, default="")
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    saved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CaseStudy(SchoolScoped, Base):
    """A case study for a practice review, drawn from one pupil's chronology. The pupil link
    stays inside the platform (the lead's list); the text itself lives in its versions."""

    __tablename__ = "case_studies"
    __school_key_target__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(index=True)  # a school key to the pupil
    title: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CaseStudyVersion(SchoolScoped, AppendOnly, Base):
    """One version of a case study's text: version 1 is the platform's de-identified draft,
    each later one a save by the lead. ``reviewed`` is the lead's statement that they read
    this version for anything identifying; only a reviewed version can be exported."""

    __tablename__ = "case_study_versions"
    __table_args__ = (UniqueConstraint("case_study_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_study_id: Mapped[int] = school_key("case_studies", index=True)
    version: Mapped[int]
    sections: Mapped[dict] = mapped_column()
    reviewed: Mapped[bool] = mapped_column(default=False)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    saved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BoardReportSnapshot(TrustScoped, AppendOnly, Base):
    """A term's board-report figures as prepared in the background (every school's figures
    already under the small-number rule, the trend, the rule's sentence): what the page shows
    and the documents print. Preparing again adds a row; the newest is used."""

    __tablename__ = "board_report_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_start: Mapped[dt.date] = mapped_column(index=True)
    figures: Mapped[dict] = mapped_column()
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    made_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
