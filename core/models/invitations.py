"""Invitations to set one's own password, and case-file roles waiting for the trust lead
(see :mod:`core.invitations`)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, TrustScoped, utcnow


class Invitation(Base):
    """One invitation to set a password; only the token's SHA-256 is kept."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]  # replaced by a newer invitation


class RoleRequest(TrustScoped, Base):
    """A case-file role given by someone who may not confirm it, waiting for the trust lead."""

    __tablename__ = "role_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    at_school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    outcome: Mapped[str] = mapped_column(String(20), default="")  # confirmed / declined
