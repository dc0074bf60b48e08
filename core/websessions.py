"""Sessions kept on the server: the browser's cookie carries only a random token.

Why not a signed cookie: a cookie that holds the session cannot be ended from the server, so a
DSL's cookie copied before sign-out would still read case files. Why not Flask-Session: ending
every session of one person at once (password changed, role removed, "sign out everywhere")
and listing where someone is signed in both need the sessions indexed by person, which its
stores do not keep. So a table, ``web_sessions``, found by the SHA-256 of the token (the token
itself is never stored), with an idle limit (``MAT_SESSION_MINUTES``) and an absolute one
(``MAT_SESSION_MAX_HOURS``) however active the person is.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core import audit
from core.db import utcnow
from core.models import WebSession

TOUCH_EVERY = dt.timedelta(seconds=60)  # last-seen time is written at most this often
KEEP_ENDED = dt.timedelta(days=30)


@dataclass(frozen=True)
class Limits:
    idle: dt.timedelta
    absolute: dt.timedelta


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def load(session: Session, token: str, limits: Limits,
         now: dt.datetime | None = None) -> WebSession | None:
    """The live session of ``token``: not ended, not idle past the limit, not past its
    absolute end. A session found expired is ended on the spot."""
    if not token or len(token) > 100:
        return None
    now = now or utcnow()
    row = session.get(WebSession, token_hash(token))
    if row is None or row.ended_at is not None:
        return None
    if now - row.last_seen_at > limits.idle or now >= row.expires_at:
        row.ended_at, row.ended_reason = now, "expired"
        return None
    return row


def create(session: Session, token: str, data: dict, limits: Limits, *, user_id: int | None,
           ip: str = "", user_agent: str = "", now: dt.datetime | None = None) -> WebSession:
    now = now or utcnow()
    row = WebSession(id=token_hash(token), user_id=user_id, data=data, created_at=now,
                     last_seen_at=now, expires_at=now + limits.absolute, ip=ip[:64],
                     user_agent=user_agent[:200])
    session.add(row)
    return row


def end(session: Session, row_id: str, reason: str, now: dt.datetime | None = None) -> None:
    session.execute(update(WebSession).where(WebSession.id == row_id,
                                             WebSession.ended_at.is_(None))
                    .values(ended_at=now or utcnow(), ended_reason=reason))


def end_for_user(session: Session, user_id: int, reason: str, *, keep: str | None = None,
                 by_user_id: int | None = None) -> int:
    """End every live session of ``user_id`` (but ``keep``, a session id), at once: their
    next request is signed out. Audited when any was ended. Returns how many."""
    stmt = update(WebSession).where(WebSession.user_id == user_id,
                                    WebSession.ended_at.is_(None))
    if keep is not None:
        stmt = stmt.where(WebSession.id != keep)
    from core.db import system_scope

    # an admin ends another person's sessions: rows the admin's own scope cannot see
    with system_scope(session, "end a person's sessions"):
        ended = session.execute(stmt.values(ended_at=utcnow(), ended_reason=reason)).rowcount
    if ended:
        audit.record(session, "sessions.ended", object_type="user", object_id=user_id,
                     user_id=by_user_id if by_user_id is not None else user_id,
                     detail={"reason": reason, "sessions": ended})
    return ended


def live_for_user(session: Session, user_id: int, limits: Limits) -> list[WebSession]:
    """Where a person is signed in now, most recently active first."""
    now = utcnow()
    rows = session.scalars(select(WebSession).where(
        WebSession.user_id == user_id, WebSession.ended_at.is_(None),
        WebSession.expires_at > now, WebSession.last_seen_at > now - limits.idle)
        .order_by(WebSession.last_seen_at.desc()))
    return list(rows)


def prune(session: Session, limits: Limits, now: dt.datetime | None = None) -> int:
    """Remove sessions ended (or expired) more than ``KEEP_ENDED`` ago, and anonymous ones
    gone idle: what the scheduler's upkeep calls."""
    now = now or utcnow()
    gone = session.execute(delete(WebSession).where(
        (WebSession.ended_at < now - KEEP_ENDED)
        | (WebSession.expires_at < now - KEEP_ENDED)
        | (WebSession.user_id.is_(None) & (WebSession.last_seen_at < now - limits.idle))))
    return gone.rowcount
