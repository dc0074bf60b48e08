"""Trusts, schools and each school's calendar."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, SchoolScoped, TrustScoped, utcnow


class Trust(Base):
    __tablename__ = "trusts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    schools: Mapped[list["School"]] = relationship(back_populates="trust", order_by="School.name")


class School(Base):
    __tablename__ = "schools"
    __table_args__ = (CheckConstraint("length(urn) = 6", name="urn_six_digits"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    urn: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phase: Mapped[str] = mapped_column(String(40), default="")
    la_code: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    trust: Mapped[Trust] = relationship(back_populates="schools")


class Term(SchoolScoped, Base):
    """A term or half-term: school days are the weekdays inside a term that are not
    :class:`NonSchoolDay` rows."""

    __tablename__ = "terms"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="term_ends_after_start"),
        UniqueConstraint("school_id", "start_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]


class NonSchoolDay(SchoolScoped, Base):
    """A weekday inside a term when the school is closed to pupils (INSET, bank holiday...).
    ``session`` is ``AM``, ``PM`` or ``ALL``: a half-day closure removes one session."""

    __tablename__ = "non_school_days"
    __table_args__ = (UniqueConstraint("school_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(String(120))
    session: Mapped[str] = mapped_column(String(3), default="ALL")


class TrustSetting(TrustScoped, Base):
    """A trust-wide setting (thresholds and the like), JSON valued, keyed by name."""

    __tablename__ = "trust_settings"
    __table_args__ = (UniqueConstraint("trust_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    value: Mapped[dict] = mapped_column()
