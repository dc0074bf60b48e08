"""Legal holds: a pupil's records kept past their retention date because the law or an
inquiry says so (the IICSA instruction not to destroy records that may bear on child sexual
abuse, a claim, a court order). Set and lifted by the DSL team with a reason; a lifted hold
keeps its row, so who held the file and why stays on record."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, SchoolScoped, school_key, utcnow


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


class Destruction(SchoolScoped, Base):
    """The tombstone of a pupil's case-file content destroyed at the end of its retention:
    what (the concerns whose content went, and how many entries and files), when, who, and
    under which rule. Kept for good; the pupil's roll record stays to anchor it."""

    __tablename__ = "destructions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # pinned to the pupil's school; empty for records about someone else (a member of
    # staff's training), whom the summary names
    pupil_id: Mapped[int | None] = mapped_column(index=True)
    rule: Mapped[str] = mapped_column(String(40))
    rule_years: Mapped[int]
    review_date: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(String(500))
    destroyed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    destroyed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    summary: Mapped[dict] = mapped_column(default=dict)


class DestroyedConcern(SchoolScoped, Base):
    """A concern whose content a :class:`Destruction` removed. The append-only triggers let
    the content columns of this concern, its entries and its files be blanked (and nothing
    else changed) only once a row here names it."""

    __tablename__ = "destroyed_concerns"

    id: Mapped[int] = mapped_column(primary_key=True)
    destruction_id: Mapped[int] = mapped_column(ForeignKey("destructions.id"), index=True)
    concern_id: Mapped[int] = school_key("concerns", unique=True)
