"""The audit log: every read of a case file and every change, hash-chained.

Each entry's hash covers its own fields and the previous entry's hash. ``verify`` walks the
chain and names the first entry whose hash or link does not hold. On PostgreSQL a trigger also
refuses UPDATE and DELETE on the table, and writers take an advisory lock so two transactions
cannot both extend the chain from the same head.
"""
from __future__ import annotations

import contextvars
import hashlib
import json
from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.db import get_scope, utcnow
from core.models import AuditEntry

GENESIS = "0" * 64
_LOCK_KEY = 7_231_120  # pg_advisory_xact_lock key for the chain head


@dataclass(frozen=True)
class RequestInfo:
    ip: str = ""
    user_id: int | None = None


request_info: contextvars.ContextVar[RequestInfo] = contextvars.ContextVar(
    "mat_audit_request", default=RequestInfo()
)


def entry_hash(prev_hash: str, *, at, user_id, trust_id, school_id, action, object_type,
               object_id, detail, ip) -> str:
    payload = json.dumps(
        [prev_hash, at.isoformat(timespec="microseconds"), user_id, trust_id, school_id, action,
         object_type, str(object_id), detail, ip],
        sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(session: Session, action: str, *, object_type: str = "", object_id: object = "",
           school_id: int | None = None, trust_id: int | None = None,
           detail: dict | None = None, user_id: int | None = None,
           actor=None) -> AuditEntry:
    """Append one entry in the caller's transaction (so it commits or rolls back with the
    change it describes). The user is ``user_id``, else ``actor``'s, else the request's or
    the session scope's."""
    info = request_info.get()
    if user_id is None and actor is not None:
        user_id = actor.user_id
    if user_id is None:
        user_id = info.user_id if info.user_id is not None else get_scope(session).user_id
    if trust_id is None and school_id is not None:
        from core.models import School
        from core.db import system_scope

        with session.no_autoflush, system_scope(session, "audit trust lookup"):
            trust_id = session.scalar(select(School.trust_id).where(School.id == school_id))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    prev = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    prev = prev or GENESIS
    at = utcnow()
    detail = json.loads(json.dumps(detail or {}, default=str))
    fields = dict(at=at, user_id=user_id, trust_id=trust_id, school_id=school_id, action=action,
                  object_type=object_type, object_id=str(object_id), detail=detail, ip=info.ip)
    entry = AuditEntry(prev_hash=prev, hash=entry_hash(prev, **fields), **fields)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    problem: str = ""


def _entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()


def verify(session: Session) -> VerifyResult:
    """Walk the whole chain; stop at the first entry that does not hold."""
    prev = GENESIS
    count = 0
    for e in _entries(session):
        if e.prev_hash != prev:
            return VerifyResult(False, count, e.id, "link to the previous entry is broken "
                                "(an entry before it was changed, removed or inserted)")
        expected = entry_hash(prev, at=e.at, user_id=e.user_id, trust_id=e.trust_id,
                              school_id=e.school_id, action=e.action, object_type=e.object_type,
                              object_id=e.object_id, detail=e.detail, ip=e.ip)
        if e.hash != expected:
            return VerifyResult(False, count, e.id, "entry content does not match its hash")
        prev = e.hash
        count += 1
    return VerifyResult(True, count)
