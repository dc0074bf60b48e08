"""The training tables come from the plugin's own migration branch, match the models, and
keep signatures append-only below the ORM too."""
from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from core.db import Base
from plugins.training.models import Acknowledgement
from .training_constants import TODAY


def _names(diff) -> set[str]:
    """Table names a diff entry mentions (entries are tuples, or lists of tuples)."""
    if isinstance(diff, list):
        return set().union(*(_names(d) for d in diff))
    out = set()
    for part in diff:
        name = getattr(part, "name", None) if not isinstance(part, str) else None
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            out.add(table.name)
        elif name:
            out.add(name)
        elif isinstance(part, str):
            out.add(part)
    return out


def test_models_and_migration_do_not_drift(migrated):
    """Only this plugin's tables are compared: other plugins' models may be loaded in the
    same process (the whole suite), but their tables are not in this database."""
    _, db = migrated
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [d for d in diffs if any(n.startswith("training_") for n in _names(d))]
    assert ours == []


def test_signatures_cannot_be_changed_even_with_raw_sql(session, make_school, make_person):
    from plugins.training import service

    school = make_school()
    p = service.publish_policy(session, None, school.id, "KCSIE part one", "2025", published_on=TODAY)
    person = make_person(school)
    ack = service.record_paper_signature(session, None, school.id, p.id, person.id)
    session.flush()
    with pytest.raises(Exception, match="append-only"), session.begin_nested():
        session.execute(text("UPDATE training_acknowledgements SET signed_at = :t WHERE id = :i"),
                        {"t": dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), "i": ack.id})
    with pytest.raises(Exception, match="append-only"), session.begin_nested():
        session.execute(text("DELETE FROM training_acknowledgements WHERE id = :i"), {"i": ack.id})
    assert session.scalar(select(Acknowledgement.signed_at).where(
        Acknowledgement.id == ack.id)) == ack.signed_at
