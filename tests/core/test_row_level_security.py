"""PostgreSQL row-level security: raw SQL from a scoped session cannot cross a tenant either."""
import pytest
from sqlalchemy import text

from core.db import system_scope


pytestmark = pytest.mark.postgresql_only


def test_raw_sql_sees_only_the_scope(db, make_trust, make_school, make_pupil, make_user):
    trust = make_trust()
    a, b = make_school(trust), make_school(trust)
    make_pupil(a)
    make_pupil(a)
    pb = make_pupil(b)
    _, dsl_a = make_user("dsl", a)
    with db.session(dsl_a.scope()) as s:
        rows = s.execute(text("SELECT school_id FROM pupils")).scalars().all()
        assert rows and set(rows) == {a.id}
        assert s.execute(text("SELECT count(*) FROM pupils WHERE id = :i"),
                         {"i": pb.id}).scalar() == 0
        with pytest.raises(Exception, match="row-level security"):
            with s.begin_nested():
                s.execute(text(
                    "INSERT INTO pupils (school_id, trust_id, first_name, last_name, "
                    "date_of_birth, gender, year_group, on_roll_from, created_at) VALUES "
                    "(:s, :t, 'X', 'Y', '2015-01-01', 'U', 4, '2025-09-01', now())"),
                    {"s": b.id, "t": trust.id})
        with system_scope(s, "test: trusted code may look wider"):
            assert s.execute(text("SELECT count(*) FROM pupils WHERE id = :i"),
                             {"i": pb.id}).scalar() == 1
        assert s.execute(text("SELECT count(*) FROM pupils WHERE id = :i"),
                         {"i": pb.id}).scalar() == 0


def test_every_tenant_table_has_a_policy(db, session):
    tables = set(session.execute(text(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND column_name = 'school_id'")).scalars())
    policed = set(session.execute(text(
        "SELECT tablename FROM pg_policies WHERE policyname = 'mat_tenant_isolation'")).scalars())
    assert tables - policed == {"memberships", "audit_entries", "job_runs"}
