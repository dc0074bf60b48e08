"""The audit log proves itself against a rogue database administrator: keyed chains per school
(reads apart), signed checkpoints outside the database, and ``verify`` naming the first line
that does not hold. Each test plays the attacker with the append-only trigger switched off."""
import datetime as dt
import hashlib
import json

import pytest
from sqlalchemy import select, text

from core import audit
from core.models import AuditEntry


def _fill(session, n=5, school_id=None, action="test.event"):
    for i in range(n):
        audit.record(session, action, object_type="thing", object_id=i, detail={"i": i},
                     school_id=school_id)
    session.flush()


def _chain(session, owner="platform"):
    """The entries of ``owner``'s chain this test wrote to (a session keeps to one stripe)."""
    return list(session.scalars(select(AuditEntry).where(AuditEntry.chain.like(f"{owner}/%"))
                                .order_by(AuditEntry.seq)))


def _tamper(session, sql, params):
    """Edit under the triggers, as an attacker with database access would."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"))
        session.execute(text(sql), params)
        session.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only"))
    else:
        for op in ("update", "delete"):
            session.execute(text(f"DROP TRIGGER IF EXISTS audit_entries_no_{op}"))
        session.execute(text(sql), params)
    session.expire_all()


def _rehash(session, entries, hasher, prev=None):
    """Recompute the hashes from the first entry given onwards, as an attacker would."""
    prev = prev or entries[0].prev_hash
    for e in entries:
        h = hasher(prev, e)
        _tamper(session, "UPDATE audit_entries SET prev_hash = :p, hash = :h WHERE id = :i",
                {"p": prev, "h": h, "i": e.id})
        prev = h


def _fields(e):
    return dict(at=e.at, user_id=e.user_id, trust_id=e.trust_id, school_id=e.school_id,
                action=e.action, object_type=e.object_type, object_id=e.object_id,
                detail=e.detail, ip=e.ip)


def test_chain_verifies_when_untouched(session):
    _fill(session)
    result = audit.verify(session)
    assert result.ok and result.checked >= 5


def test_a_transaction_keeps_to_one_stripe_and_stripes_spread_over_sessions(db):
    from core.db import SYSTEM

    stripes = set()
    for _ in range(12):
        with db.session(SYSTEM) as s:
            first = audit.record(s, "test.event")
            second = audit.record(s, "test.event")
            assert first.chain == second.chain and second.seq == first.seq + 1
            stripes.add(first.chain)
            s.rollback()
    assert len(stripes) > 1 and all(c.startswith("platform/") for c in stripes)


def test_schools_have_their_own_chains_and_reads_their_own(session, make_school):
    a, b = make_school(), make_school()
    before_a = len(_chain(session, f"school:{a.id}"))  # setting a school up is audited too
    before_b = len(_chain(session, f"school:{b.id}"))
    _fill(session, 2, a.id)
    _fill(session, 3, b.id)
    _fill(session, 2, a.id, action="concern.read")
    assert [e.seq for e in _chain(session, f"school:{a.id}")] == list(range(1, before_a + 3))
    assert [e.seq for e in _chain(session, f"school:{b.id}")] == list(range(1, before_b + 4))
    reads = _chain(session, f"school:{a.id}:reads")
    assert [e.action for e in reads] == ["concern.read"] * 2
    assert reads[0].trust_id == a.trust_id  # the trust is found for the school
    assert audit.verify(session).ok


def test_an_edited_entry_is_named(session):
    _fill(session)
    target = _chain(session)[-3].id
    _tamper(session, "UPDATE audit_entries SET detail = :d WHERE id = :i",
            {"d": '{"i": 99}', "i": target})
    result = audit.verify(session)
    assert not result.ok and result.broken_id == target
    assert "does not match" in result.problem


def test_a_removed_middle_entry_is_found(session):
    _fill(session)
    entries = _chain(session)
    _tamper(session, "DELETE FROM audit_entries WHERE id = :i", {"i": entries[-3].id})
    result = audit.verify(session)
    assert not result.ok and result.broken_id == entries[-2].id and "missing" in result.problem


def test_a_removed_middle_with_hashes_recomputed_without_the_key_is_found(session):
    _fill(session, 6)
    entries = _chain(session)
    _tamper(session, "DELETE FROM audit_entries WHERE id = :i", {"i": entries[2].id})
    # close the gap in the numbering too, then recompute every later hash as plain SHA-256
    # (the old scheme) and as an HMAC under a guessed key
    for e in entries[3:]:
        _tamper(session, "UPDATE audit_entries SET seq = :s WHERE id = :i",
                {"s": e.seq - 1, "i": e.id})
    session.expire_all()
    later = [session.get(AuditEntry, e.id) for e in entries[3:]]
    for guess in (lambda prev, e: hashlib.sha256(json.dumps([prev, *_fields(e).values()],
                                                            default=str).encode()).hexdigest(),
                  lambda prev, e: audit.entry_hash(prev, chain=e.chain, seq=e.seq,
                                                   key=b"guessed", **_fields(e))):
        _rehash(session, later, guess, prev=entries[1].hash)
        session.expire_all()
        later = [session.get(AuditEntry, e.id) for e in entries[3:]]
        result = audit.verify(session)
        assert not result.ok and result.broken_id == later[0].id
        assert "does not match" in result.problem or "link" in result.problem


def test_a_cut_tail_is_found_against_a_checkpoint(session, tmp_path):
    _fill(session, 5)
    path = tmp_path / "checkpoints.jsonl"
    assert audit.checkpoint(session, path) == 1
    entries = _chain(session)
    for e in entries[-2:]:
        _tamper(session, "DELETE FROM audit_entries WHERE id = :i", {"i": e.id})
    assert audit.verify(session).ok  # what is left holds together...
    result = audit.verify(session, audit.read_checkpoints(path))
    assert not result.ok and "last entries were removed" in result.problem  # ...but is cut


def test_a_chain_rewritten_with_the_key_is_found_against_a_checkpoint(session, tmp_path):
    _fill(session, 4)
    path = tmp_path / "checkpoints.jsonl"
    audit.checkpoint(session, path)
    entries = _chain(session)
    _tamper(session, "UPDATE audit_entries SET detail = :d WHERE id = :i",
            {"d": '{"i": "rewritten"}', "i": entries[-1].id})
    session.expire_all()
    _rehash(session, [session.get(AuditEntry, entries[-1].id)],
            lambda prev, e: audit.entry_hash(prev, chain=e.chain, seq=e.seq, **_fields(e)))
    assert audit.verify(session).ok  # someone holding the key rewrote it consistently
    result = audit.verify(session, audit.read_checkpoints(path))
    assert not result.ok and "rewritten" in result.problem


def test_a_whole_chain_deleted_is_found_and_a_forged_checkpoint_is_refused(session, tmp_path,
                                                                         make_school):
    school = make_school()
    _fill(session, 2, school.id)
    path = tmp_path / "checkpoints.jsonl"
    audit.checkpoint(session, path)
    _tamper(session, "DELETE FROM audit_entries WHERE chain LIKE :c", {"c": f"school:{school.id}/%"})
    result = audit.verify(session, audit.read_checkpoints(path))
    assert not result.ok and f"chain school:{school.id}/" in result.problem
    assert "was checkpointed" in result.problem
    forged = [json.loads(line) for line in path.read_text().splitlines()]
    forged[0]["seq"] = 1
    path.write_text("\n".join(json.dumps(f) for f in forged) + "\n")
    result = audit.verify(session, audit.read_checkpoints(path))
    assert not result.ok and "not signed with the audit key" in result.problem


def test_lines_from_before_keyed_chains_still_verify(session):
    at = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    fields = dict(at=at, user_id=None, trust_id=None, school_id=None, action="old.event",
                  object_type="", object_id="1", detail={}, ip="")
    legacy = AuditEntry(prev_hash=audit.GENESIS, chain=audit.LEGACY, seq=None,
                        hash=audit.entry_hash(audit.GENESIS, **fields), **fields)
    session.add(legacy)
    session.flush()
    _fill(session, 2)
    assert audit.verify(session).ok
    _tamper(session, "UPDATE audit_entries SET action = 'x' WHERE id = :i", {"i": legacy.id})
    assert audit.verify(session).broken_id == legacy.id


def test_the_key_comes_from_the_setting_or_a_private_instance_file(tmp_path, monkeypatch):
    from core.config import Settings

    monkeypatch.delenv("MAT_AUDIT_KEY", raising=False)
    given = Settings(instance_path=tmp_path, audit_key="k" * 40)
    assert audit.load_key(given) == b"k" * 40
    first = audit.load_key(Settings(instance_path=tmp_path))
    assert len(first) == 64 and audit.load_key(Settings(instance_path=tmp_path)) == first
    assert (tmp_path / "audit.key").stat().st_mode & 0o077 == 0
    with pytest.raises(RuntimeError, match="MAT_AUDIT_KEY"):
        Settings(instance_path=tmp_path, env="production", secret_key="s" * 40).check()


def test_the_daily_job_checkpoints_its_schools_chains(db, session, make_school, tmp_path,
                                                      monkeypatch):
    from core import runtime
    from core.config import Settings

    school, other = make_school(), make_school()
    _fill(session, 2, school.id)
    _fill(session, 2, other.id)
    session.commit()
    settings = Settings(instance_path=tmp_path, database_url="sqlite://")
    monkeypatch.setattr(runtime, "_settings", settings)
    audit.daily_checkpoint(school.id)
    owners = {audit.owner_of(c.chain) for c in audit.read_checkpoints(settings.checkpoint_file)}
    assert f"school:{school.id}" in owners and f"school:{other.id}" not in owners


def test_cli_verify_and_checkpoint(db, session, tmp_path):
    from click.testing import CliRunner

    from core.cli import cli

    _fill(session)
    session.commit()
    runner = CliRunner()
    path = tmp_path / "cp.jsonl"
    made = runner.invoke(cli, ["audit", "checkpoint", "--out", str(path)], obj=object())
    assert made.exit_code == 0 and "chain heads written" in made.output
    ok = runner.invoke(cli, ["audit", "verify", "--checkpoint", str(path)], obj=object())
    assert ok.exit_code == 0 and "intact" in ok.output and "checkpoints" in ok.output
    last = _chain(session)[-1]
    _tamper(session, "DELETE FROM audit_entries WHERE id = :i", {"i": last.id})
    session.commit()
    bad = runner.invoke(cli, ["audit", "verify", "--checkpoint", str(path)], obj=object())
    assert bad.exit_code == 1 and "removed" in bad.output
    (tmp_path / "junk.jsonl").write_text("not json\n")
    junk = runner.invoke(cli, ["audit", "verify", "--checkpoint", str(tmp_path / "junk.jsonl")],
                         obj=object())
    assert junk.exit_code == 2 and "line 1 is not a checkpoint" in junk.output
