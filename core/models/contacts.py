"""Agency contacts: the professionals around a pupil (social worker, early help worker,
school nurse...), each for a period. Ended by an end date, never deleted."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, SchoolScoped, utcnow

CONTACT_ROLES = {
    "social_worker": "Social worker",
    "early_help": "Early help worker",
    "police": "Police officer",
    "health_visitor": "Health visitor",
    "school_nurse": "School nurse",
    "camhs": "CAMHS worker",
    "virtual_school_head": "Virtual school head",
    "youth_worker": "Youth worker",
    "other": "Other",
}


class AgencyContact(SchoolScoped, Base):
    """One professional working with a pupil, from ``start_date`` until ``end_date`` (open
    while none). Part of the case file: the DSL team and the trust lead read it."""

    __tablename__ = "agency_contacts"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="contact_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(index=True)  # pinned to the pupil's school
    role: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    notes: Mapped[str] = mapped_column(String(1000), default="")
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def current_on(self, day: dt.date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)
