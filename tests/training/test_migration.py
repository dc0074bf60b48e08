"""The training tables come from the plugin's own migration branch, match the models, and
keep signatures append-only below the ORM too."""
from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import select, text

from core.migrate import alembic_config
from plugins.training.models import Acknowledgement
from training_constants import TODAY


def test_models_and_migration_do_not_drift(migrated, host):
    url, _ = migrated
    command.check(alembic_config(url, host))  # raises if autogenerate would add anything


def test_signatures_cannot_be_changed_even_with_raw_sql(session, make_school, make_person):
    from plugins.training import policies

    school = make_school()
    p = policies.publish(session, None, school.id, "KCSIE part one", "2025", published_on=TODAY)
    person = make_person(school)
    ack = policies.record_paper_signature(session, None, school.id, p.id, person.id)
    session.flush()
    with pytest.raises(Exception, match="append-only"), session.begin_nested():
        session.execute(text("UPDATE training_acknowledgements SET signed_at = :t WHERE id = :i"),
                        {"t": dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), "i": ack.id})
    with pytest.raises(Exception, match="append-only"), session.begin_nested():
        session.execute(text("DELETE FROM training_acknowledgements WHERE id = :i"), {"i": ack.id})
    assert session.scalar(select(Acknowledgement.signed_at).where(
        Acknowledgement.id == ack.id)) == ack.signed_at
