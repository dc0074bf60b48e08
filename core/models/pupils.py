"""Pupils, their vulnerability flags over time, and family links across the trust."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from core.db import AppendOnly, Base, SchoolScoped, TrustScoped, utcnow
from core.names import pupil_search_key

FLAGS = {
    "sen_support": "SEN support",
    "ehcp": "EHC plan",
    "looked_after": "Looked after",
    "cp_plan": "Child protection plan",
    "cin": "Child in need",
    "early_help": "Early help",
    "young_carer": "Young carer",
    "pupil_premium": "Pupil premium",
    "eal": "English as an additional language",
}
RELATIONS = ("sibling", "half_sibling", "step_sibling", "cousin", "same_household")
YEAR_GROUPS = {-1: "Nursery", 0: "Reception", **{n: f"Year {n}" for n in range(1, 15)}}


class Pupil(SchoolScoped, Base):
    """A pupil on one school's roll. A move to another school of the trust makes a new record
    there (``transferred_from_id``) and leaves this one, read-only, with the sender."""

    __tablename__ = "pupils"
    __school_key_target__ = True  # other school rows point at a pupil of their own school
    __table_args__ = (
        UniqueConstraint("school_id", "upn"),
        CheckConstraint("year_group BETWEEN -1 AND 14", name="year_group_range"),
        # name search within one school reads this index, not the table
        Index("ix_pupils_school_search_key", "school_id", "search_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    upn: Mapped[str | None] = mapped_column(String(13))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[dt.date]
    gender: Mapped[str] = mapped_column(String(1), default="U")
    year_group: Mapped[int]
    on_roll_from: Mapped[dt.date]
    on_roll_to: Mapped[dt.date | None]
    leaving_reason: Mapped[str | None] = mapped_column(String(200))
    destination_urn: Mapped[str | None] = mapped_column(String(6))
    transferred_from_id: Mapped[int | None] = mapped_column(ForeignKey("pupils.id"))
    address: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # the names as search compares them (core.names); kept by the events below on every ORM
    # insert and update, and by the default on a bulk (Core) insert that does not set it
    search_key: Mapped[str] = mapped_column(String(600), server_default="", default=lambda ctx:
                                            _key_of_row(ctx.get_current_parameters()))

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}"

    def on_roll(self, day: dt.date) -> bool:
        return self.on_roll_from <= day and (self.on_roll_to is None or day <= self.on_roll_to)


def _key_of_row(row: dict) -> str:
    return pupil_search_key(row.get("first_name"), row.get("preferred_name"),
                            row.get("last_name"))


@event.listens_for(Pupil, "before_insert")
@event.listens_for(Pupil, "before_update")
def _keep_search_key(mapper, connection, pupil: Pupil) -> None:
    key = pupil_search_key(pupil.first_name, pupil.preferred_name, pupil.last_name)
    if pupil.search_key != key:
        pupil.search_key = key


class PupilFlag(SchoolScoped, Base):
    """A vulnerability flag for a period: ended by setting ``end_date``, never deleted."""

    __tablename__ = "pupil_flags"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="flag_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(index=True)
    flag: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date | None]
    note: Mapped[str] = mapped_column(String(300), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def active_on(self, day: dt.date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


class FamilyLink(TrustScoped, Base):
    """Two pupils of the same family, possibly at different schools of the trust. Stored once,
    with the lower pupil id first."""

    __tablename__ = "family_links"
    __table_args__ = (
        UniqueConstraint("pupil_id", "related_pupil_id"),
        CheckConstraint("pupil_id < related_pupil_id", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    related_pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    relation: Mapped[str] = mapped_column(String(20))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # a link is ended, never deleted (core.families): from this day it is no longer current
    ended_on: Mapped[dt.date | None]
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    end_reason: Mapped[str | None] = mapped_column(String(200))


class PupilChange(SchoolScoped, AppendOnly, Base):
    """One change to a pupil's details: which field, from what, to what, who and when. The
    pupil's history; never edited or deleted."""

    __tablename__ = "pupil_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(index=True)
    field: Mapped[str] = mapped_column(String(30))
    old_value: Mapped[str | None] = mapped_column(String(300))
    new_value: Mapped[str | None] = mapped_column(String(300))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_by_name: Mapped[str] = mapped_column(String(200), default="")
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
