"""Users, the roles they hold in schools and trusts, and what signs them in."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow

SCHOOL_ROLES = ("staff", "dsl", "deputy_dsl", "headteacher", "school_admin")
TRUST_ROLES = ("trust_lead", "trust_admin")
ROLE_LABELS = {
    "staff": "Staff",
    "dsl": "Designated safeguarding lead",
    "deputy_dsl": "Deputy DSL",
    "headteacher": "Headteacher",
    "school_admin": "School admin",
    "trust_lead": "Trust safeguarding lead",
    "trust_admin": "Trust admin",
}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # deferred: the tenant database role may not read it (core.rls.SECRET_COLUMNS); pages ask
    # accounts.waiting_for_password, and accounts.check_password reads it as the system
    password_hash: Mapped[str | None] = mapped_column(String(200), deferred=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class Membership(Base):
    """A role held in one school (``school_id`` set) or across a trust (``school_id`` null)."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "trust_id", "school_id", "role"),
        CheckConstraint(
            "(role IN ('trust_lead','trust_admin') AND school_id IS NULL) OR "
            "(role IN ('staff','dsl','deputy_dsl','headteacher','school_admin') "
            "AND school_id IS NOT NULL)",
            name="role_matches_level",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")


class TotpDevice(Base):
    """A second-factor authenticator. A person may have several (phone, backup phone)."""

    __tablename__ = "totp_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # sealed (core.secretbox); deferred because the tenant role may not read it, even its own
    secret: Mapped[str] = mapped_column(String(64), deferred=True)
    confirmed_at: Mapped[dt.datetime | None]
    last_used_step: Mapped[int | None]  # refuses a code replayed within its 30 s window
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    used_at: Mapped[dt.datetime | None]


class ApiToken(Base):
    """A bearer token for the JSON API. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class LoginAttempt(Base):
    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    success: Mapped[bool] = mapped_column(default=False)


class WebSession(Base):
    """A signed-in browser (or one on its way to signing in). The cookie holds only a random
    token; this row, found by the token's SHA-256, holds the session. Ended rows are kept a
    while for the "where you are signed in" history, then pruned."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the token
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    data: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    expires_at: Mapped[dt.datetime]  # the absolute end, however active
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    ended_at: Mapped[dt.datetime | None]
    ended_reason: Mapped[str] = mapped_column(String(60), default="")
