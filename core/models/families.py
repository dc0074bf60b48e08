"""What the DSL team decided about a suggested family link: a pair of pupils of one trust
who share an address, dismissed so they are not suggested again."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, TrustScoped, utcnow


class FamilySuggestionDismissal(TrustScoped, Base):
    """A suggested link the DSL team said is not family. Stored once per pair, lower pupil id
    first (as :class:`~core.models.pupils.FamilyLink`), so the pair is dismissed for both
    pupils' pages."""

    __tablename__ = "family_suggestion_dismissals"
    __table_args__ = (
        UniqueConstraint("pupil_id", "related_pupil_id"),
        CheckConstraint("pupil_id < related_pupil_id", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    related_pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dismissed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
