import pytest
from sqlalchemy import text

from core import audit
from core.db import SYSTEM
from core.models import AuditEntry


def _fill(session, n=5):
    for i in range(n):
        audit.record(session, "test.event", object_type="thing", object_id=i, detail={"i": i})
    session.flush()


def test_chain_verifies_when_untouched(session):
    _fill(session)
    result = audit.verify(session)
    assert result.ok and result.checked >= 5


def _tamper(session, sql, params):
    """Edit under the triggers, as an attacker with database access would."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"))
        session.execute(text(sql), params)
        session.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only"))
    else:
        for op in ("update", "delete"):
            session.execute(text(f"DROP TRIGGER audit_entries_no_{op}"))
        session.execute(text(sql), params)
    session.expire_all()


def test_edited_entry_is_named(session):
    _fill(session)
    ids = [e.id for e in session.query(AuditEntry).order_by(AuditEntry.id)]
    target = ids[-3]
    _tamper(session, "UPDATE audit_entries SET detail = :d WHERE id = :i",
            {"d": '{"i": 99}', "i": target})
    result = audit.verify(session)
    assert not result.ok and result.broken_id == target
    assert "does not match" in result.problem


def test_removed_entry_breaks_the_link_of_the_next(session):
    _fill(session)
    ids = [e.id for e in session.query(AuditEntry).order_by(AuditEntry.id)]
    _tamper(session, "DELETE FROM audit_entries WHERE id = :i", {"i": ids[-2]})
    result = audit.verify(session)
    assert not result.ok and result.broken_id == ids[-1]
    assert "link" in result.problem


def test_cli_verify_reports_ok_and_broken(db, session, monkeypatch):
    from click.testing import CliRunner

    from core.cli import cli

    _fill(session)
    session.commit()
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify"], obj=object())
    assert ok.exit_code == 0 and "intact" in ok.output
    ids = [e.id for e in session.query(AuditEntry).order_by(AuditEntry.id)]
    _tamper(session, "UPDATE audit_entries SET action = 'x' WHERE id = :i", {"i": ids[-1]})
    session.commit()
    bad = runner.invoke(cli, ["audit", "verify"], obj=object())
    assert bad.exit_code == 1 and f"entry {ids[-1]}" in bad.output
