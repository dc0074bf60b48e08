"""The audit log: every read of a case file and every change, in keyed hash chains.

Each entry belongs to a chain: one per school for changes (``school:7``), one per school for
reads (``school:7:reads``), one per trust for trust-level work (``trust:2``) and one for the
platform. Its ``hash`` is an HMAC-SHA256, under a key held outside the database
(``MAT_AUDIT_KEY``, or for a first run ``<instance>/audit.key``), of its fields, its place
``seq`` in the chain and the previous entry's hash. So someone with the database alone (a
superuser who switches the append-only trigger off) can delete, edit or insert a line but
cannot recompute the hashes after it; writers in different schools never wait on each other
(on PostgreSQL each chain has its own advisory lock), and reads take their own chain so they
do not hold writers up.

A cut tail (the last lines deleted) leaves a chain that still holds together: signed
**checkpoints** of each chain's head (:func:`checkpoint`, ``mat audit checkpoint``, and a
daily job), kept outside the database, catch it; :func:`verify` with them names the first
line that no longer matches. Lines written before keyed chains existed sit in chain
``legacy`` and are checked with the old unkeyed SHA-256 link.
"""
from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.db import get_scope, utcnow
from core.models import AuditEntry

GENESIS = "0" * 64
LEGACY = "legacy"
_key: bytes | None = None


def configure(settings) -> None:
    """Load the audit key for this process: ``MAT_AUDIT_KEY``, else the instance's
    ``audit.key`` (created on first use, readable by its owner only)."""
    global _key
    _key = load_key(settings)


def load_key(settings) -> bytes:
    given = settings.audit_key or os.environ.get("MAT_AUDIT_KEY")
    if given:
        return given.encode()
    path = Path(settings.instance_path) / "audit.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def _the_key() -> bytes:
    if _key is None:  # a process that never started the runtime: read the environment only
        from core.config import from_env

        configure(from_env())
    return _key


STRIPES = 8  # chains per school (and per trust, per platform): writers rarely share one


def chain_of(action: str, school_id: int | None, trust_id: int | None, stripe: int = 0) -> str:
    """The chain an entry joins: one of the school's ``STRIPES`` chains (reads apart), else
    the trust's, else the platform's, e.g. ``school:7/3``, ``school:7:reads/5``. A transaction
    keeps to one stripe, so its entries stay in order in one chain, and two requests of the
    same school rarely wait for the same chain's lock."""
    base = (f"school:{school_id}" if school_id is not None
            else f"trust:{trust_id}" if trust_id is not None else "platform")
    return base + (":reads" if is_read(action) else "") + f"/{stripe}"


def owner_of(chain: str) -> str:
    """The school, trust or platform a chain belongs to: ``school:7/3`` -> ``school:7``."""
    return chain.split("/", 1)[0].removesuffix(":reads")


def is_read(action: str) -> bool:
    return action.endswith(".read") or action.endswith("_read")


@dataclass(frozen=True)
class RequestInfo:
    ip: str = ""
    user_id: int | None = None


request_info: contextvars.ContextVar[RequestInfo] = contextvars.ContextVar(
    "mat_audit_request", default=RequestInfo()
)


def entry_hash(prev_hash: str, *, at, user_id, trust_id, school_id, action, object_type,
               object_id, detail, ip, chain: str = LEGACY, seq: int | None = None,
               key: bytes | None = None) -> str:
    """The entry's hash: HMAC-SHA256 under the audit key; unkeyed SHA-256 for the legacy
    chain (lines written before keyed chains)."""
    fields = [prev_hash, at.isoformat(timespec="microseconds"), user_id, trust_id, school_id,
              action, object_type, str(object_id), detail, ip]
    if chain == LEGACY:
        payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(payload.encode()).hexdigest()
    payload = json.dumps([chain, seq, *fields], sort_keys=True, separators=(",", ":"),
                         default=str)
    return hmac.new(key or _the_key(), payload.encode(), hashlib.sha256).hexdigest()


def _trust_for(session: Session, school_id: int) -> int | None:
    from core.schools import trust_of

    return trust_of(session, school_id)


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
        trust_id = _trust_for(session, school_id)
    scope = session.info.get("mat_scope")
    if scope is not None and not scope.is_system and (
            (school_id is not None and school_id not in scope.read_schools)
            or (school_id is None and trust_id is not None
                and trust_id not in (scope.trusts or ()))):
        # an entry about a tenant outside the scope (a transfer's sending school): the chain's
        # head is not visible to the scope's database role (core.rls), so append as the system
        session.flush()  # the caller's own rows, under the caller's scope
        from core.db import system_scope

        with system_scope(session, "audit: entry outside the scope"):
            return record(session, action, object_type=object_type, object_id=object_id,
                          school_id=school_id, trust_id=trust_id, detail=detail,
                          user_id=user_id)
    stripe = session.info.setdefault("mat_audit_stripe", secrets.randbelow(STRIPES))
    chain = chain_of(action, school_id, trust_id, stripe)
    if session.get_bind().dialect.name == "postgresql":  # this chain only: other schools go on
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:c, 7231120))"),
                        {"c": chain})
    head = session.execute(select(AuditEntry.seq, AuditEntry.hash).where(
        AuditEntry.chain == chain).order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
    detail = json.loads(json.dumps(detail or {}, default=str))
    fields = dict(at=utcnow(), user_id=user_id, trust_id=trust_id, school_id=school_id,
                  action=action, object_type=object_type, object_id=str(object_id),
                  detail=detail, ip=info.ip)
    entry = AuditEntry(prev_hash=prev, chain=chain, seq=seq,
                       hash=entry_hash(prev, chain=chain, seq=seq, **fields), **fields)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Checkpoint:
    """A chain's head as it was at ``at``, signed with the audit key."""

    chain: str
    seq: int
    hash: str
    at: str
    signature: str = ""

    def signed(self, key: bytes | None = None) -> "Checkpoint":
        return Checkpoint(self.chain, self.seq, self.hash, self.at, self._sign(key))

    def _sign(self, key: bytes | None = None) -> str:
        payload = f"checkpoint|{self.chain}|{self.seq}|{self.hash}|{self.at}"
        return hmac.new(key or _the_key(), payload.encode(), hashlib.sha256).hexdigest()

    def genuine(self, key: bytes | None = None) -> bool:
        return hmac.compare_digest(self.signature, self._sign(key))


def chain_heads(session: Session, owners: set[str] | None = None) -> list[Checkpoint]:
    """Each keyed chain's last entry (optionally only the chains of the ``owners`` named:
    ``school:7``, ``trust:2``, ``platform``)."""
    last = (select(AuditEntry.chain, func.max(AuditEntry.seq).label("seq"))
            .where(AuditEntry.chain != LEGACY).group_by(AuditEntry.chain).subquery())
    rows = session.execute(select(AuditEntry.chain, AuditEntry.seq, AuditEntry.hash).join(
        last, (last.c.chain == AuditEntry.chain) & (last.c.seq == AuditEntry.seq))
        .order_by(AuditEntry.chain)).all()
    return [Checkpoint(c, s, h, utcnow().isoformat()).signed() for c, s, h in rows
            if owners is None or owner_of(c) in owners]


def checkpoint(session: Session, path: Path, owners: set[str] | None = None) -> int:
    """Append the signed head of every chain (or of the ``owners``' chains) to the file at
    ``path``, one JSON line each; returns how many. Keep the file away from the database
    (another disk, another machine, write-once storage)."""
    heads = chain_heads(session, owners)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(h.__dict__, sort_keys=True) + "\n" for h in heads)
    with open(path, "a", encoding="utf-8") as f:  # one write: lines of parallel jobs do not mix
        f.write(lines)
    return len(heads)


def read_checkpoints(path: Path) -> list[Checkpoint]:
    found = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append(Checkpoint(**json.loads(line)))
        except (ValueError, TypeError):
            raise ValueError(f"{path}: line {n} is not a checkpoint") from None
    return found


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    problem: str = ""
    chains: int = 0


def _entries(session: Session, chain: str, batch: int = 5000) -> Iterator:
    """The chain's lines in order, as plain rows (not kept in the session's identity map)."""
    table = AuditEntry.__table__
    order = table.c.id if chain == LEGACY else table.c.seq
    last = 0
    while True:
        rows = session.execute(select(table).where(
            table.c.chain == chain, order > last).order_by(order).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id if chain == LEGACY else rows[-1].seq


def _walk(session: Session, chain: str) -> tuple[int, object | None, str, dict[int, str]]:
    """Check one chain: (entries that hold, the first that does not, why, seq -> hash)."""
    prev, count, hashes = GENESIS, 0, {}
    for e in _entries(session, chain):
        if chain != LEGACY and e.seq != count + 1:
            return count, e, (f"entry {count + 1} of chain {chain} is missing "
                              "(removed, or a line inserted before it)"), hashes
        if e.prev_hash != prev:
            return count, e, ("link to the previous entry is broken (an entry before it was "
                              "changed, removed or inserted)"), hashes
        expected = entry_hash(prev, at=e.at, user_id=e.user_id, trust_id=e.trust_id,
                              school_id=e.school_id, action=e.action,
                              object_type=e.object_type, object_id=e.object_id,
                              detail=e.detail, ip=e.ip, chain=chain, seq=e.seq)
        if not hmac.compare_digest(e.hash, expected):
            return count, e, ("entry content does not match its hash (changed, or written "
                              "without the audit key)"), hashes
        prev = e.hash
        count += 1
        if e.seq is not None:
            hashes[e.seq] = e.hash
    return count, None, "", hashes


def _against_checkpoints(chain: str, hashes: dict[int, str],
                         points: list[Checkpoint]) -> str:
    for cp in sorted((c for c in points if c.chain == chain), key=lambda c: -c.seq):
        if cp.seq not in hashes:
            return (f"chain {chain} ends at entry {max(hashes, default=0)} but was checkpointed "
                    f"at entry {cp.seq} on {cp.at}: its last entries were removed")
        if hashes[cp.seq] != cp.hash:
            return (f"entry {cp.seq} of chain {chain} is not the one checkpointed on {cp.at}: "
                    "the chain was rewritten")
        return ""
    return ""


def verify(session: Session, checkpoints: list[Checkpoint] | None = None) -> VerifyResult:
    """Walk every chain; stop at the first entry that does not hold. With ``checkpoints``,
    also prove each chain still reaches the head it had when checkpointed (a cut tail or a
    rewritten chain); a checkpoint whose signature fails is itself reported."""
    points = checkpoints or []
    if bad := [c for c in points if not c.genuine()]:
        return VerifyResult(False, 0, None, f"checkpoint of chain {bad[0].chain} at entry "
                            f"{bad[0].seq} is not signed with the audit key")
    chains = list(session.scalars(select(AuditEntry.chain).distinct().order_by(AuditEntry.chain)))
    total = 0
    for chain in chains:
        count, broken, problem, hashes = _walk(session, chain)
        total += count
        if broken is not None:
            return VerifyResult(False, total, broken.id, problem, len(chains))
        if problem := _against_checkpoints(chain, hashes, points):
            return VerifyResult(False, total, None, problem, len(chains))
    for missing in sorted({c.chain for c in points} - set(chains)):
        return VerifyResult(False, total, None, f"chain {missing} was checkpointed but has no "
                            "entries left: all of them were removed", len(chains))
    return VerifyResult(True, total, chains=len(chains))


def daily_checkpoint(school_id: int) -> dict:
    """The recurring job (daily, per school): checkpoint the chains of the school, of its
    trust and of the platform into the configured checkpoint file."""
    from core import runtime
    from core.db import SYSTEM, current_database
    from core.models import School

    with current_database().transaction(SYSTEM) as s:
        trust = s.scalar(select(School.trust_id).where(School.id == school_id))
        owners = {f"school:{school_id}", f"trust:{trust}", "platform"}
        return {"chains": checkpoint(s, runtime.configured().checkpoint_file, owners)}
