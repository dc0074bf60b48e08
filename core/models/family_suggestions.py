"""Suggested family links found in the MIS's data (:mod:`core.family_suggestions`): two pupils
of one trust who share a parent or carer with parental responsibility, or a home address, and
each decision a DSL or the trust safeguarding lead took on the suggestion."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import AppendOnly, Base, TrustScoped, utcnow

#: what a suggestion's ``status`` may be
SUGGESTION_STATUSES = ("open", "linked", "dismissed", "lapsed")


class FamilySuggestion(TrustScoped, Base):
    """One pair of pupils (lower id first, as :class:`~core.models.pupils.FamilyLink`) that may
    be family. ``evidence`` says why, for each side separately, so a page shows a DSL only
    their own pupil's part; ``evidence_key`` changes only when the evidence does, which is how
    a dismissed suggestion knows whether to come back. The schools are named
    ``pupil_school_id`` and ``related_school_id`` (not ``school_id``) because the row belongs
    to the trust: both schools' DSLs see it, each only their own pupil's side."""

    __tablename__ = "family_suggestions"
    __table_args__ = (
        UniqueConstraint("pupil_id", "related_pupil_id"),
        CheckConstraint("pupil_id < related_pupil_id", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    related_pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    pupil_school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    related_school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    evidence: Mapped[list]
    evidence_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="open")
    link_id: Mapped[int | None] = mapped_column(ForeignKey("family_links.id"))
    suggested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def cross_school(self) -> bool:
        return self.pupil_school_id != self.related_school_id


class FamilySuggestionDecision(TrustScoped, AppendOnly, Base):
    """A confirmation or dismissal of a suggestion, with its reason: by a DSL for their school
    (``for_school_id``) or by the trust safeguarding lead (``for_school_id`` empty). Never
    edited or deleted; a decision counts only for the evidence it was taken on
    (``evidence_key``)."""

    __tablename__ = "family_suggestion_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("family_suggestions.id"), index=True)
    decision: Mapped[str] = mapped_column(String(12))  # confirmed / dismissed
    for_school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    relation: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500), default="")
    evidence_key: Mapped[str] = mapped_column(String(64))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
