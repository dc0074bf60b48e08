"""Legal holds: a pupil's records kept past their retention date because the law or an
inquiry says so (the IICSA instruction not to destroy records that may bear on child sexual
abuse, a claim, a court order). Set and lifted by the DSL team with a reason; a lifted hold
keeps its row, so who held the file and why stays on record."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, SchoolScoped, utcnow


class LegalHold(SchoolScoped, Base):
    """One hold on a pupil's records, in force until ``lifted_at``."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(index=True)  # pinned to the pupil's school
    reason: Mapped[str] = mapped_column(String(500))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lifted_at: Mapped[dt.datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lift_reason: Mapped[str] = mapped_column(String(500), default="")
