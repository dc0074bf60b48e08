"""PostgreSQL row-level security: raw SQL from a scoped session cannot cross a tenant either,
and no table of the database is left without a policy (the meta-test lists them all)."""
import pytest
from sqlalchemy import text

from core import accounts, rls
from core.db import system_scope


pytestmark = pytest.mark.postgresql_only

# secrets no one may read of another person, even one sharing their school
SECRETS = {"totp_devices": "secret", "recovery_codes": "code_hash", "api_tokens": "token_hash",
           "web_sessions": "data", "invitations": "token_hash"}


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


def test_every_table_has_a_policy_and_forces_it(session):
    """A new table (core or plugin) without a rule in core.rls fails here: give it a
    school_id / trust_id, or a rule of its own in ``rls.RULES``."""
    tables = set(rls.tables(session.connection()))
    assert {"users", "pupils", "totp_devices", "attendance_weeks"} <= tables
    flags = dict(session.execute(text(
        "SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r'")).all())
    assert {t for t in tables if not flags.get(t)} == set(), "RLS not enabled and forced"
    policed = set(session.execute(text(
        "SELECT tablename FROM pg_policies WHERE policyname = :p AND :r = ANY (roles)"),
        {"p": rls.POLICY, "r": rls.ROLE}).scalars())
    assert tables - policed == set(), "tables the tenant role has no policy on"


def _other_person(session, school, make_user):
    """Someone of ``school`` with every kind of secret: a password, a confirmed
    authenticator, recovery codes, an API token and a signed-in session."""
    user, _ = make_user("dsl", school)
    device = accounts.start_totp(session, user.id, "phone")
    session.execute(text("UPDATE totp_devices SET confirmed_at = now() WHERE id = :i"),
                    {"i": device.id})
    accounts.new_recovery_codes(session, user.id)
    accounts.create_token(session, user.id, "laptop")
    session.execute(text(
        "INSERT INTO web_sessions (id, user_id, data, created_at, last_seen_at, expires_at, ip, "
        "user_agent, ended_reason) VALUES (:i, :u, '{}', now(), now(), now() + interval '1 h', "
        "'', '', '')"), {"i": f"s{user.id}", "u": user.id})
    session.flush()
    return user


def test_a_school_scope_sees_no_other_tenant_in_any_table(
        db, session, make_trust, make_school, make_pupil, make_user, make_concern):
    """Every table of the database, read under a school-1 scope on the app's own path
    (``Database.session(scope)``, so ``SET LOCAL ROLE mat_tenant``): no row of another school
    or trust, nothing of the platform-only tables, and no one else's secrets."""
    trust, other_trust = make_trust(), make_trust()
    one, two, far = make_school(trust), make_school(trust), make_school(other_trust)
    for school in (one, two, far):
        make_concern(school, [make_pupil(school)])
        _other_person(session, school, make_user)
    colleague = _other_person(session, one, make_user)  # shares school 1: still no secrets
    me, dsl = make_user("dsl", one)
    accounts.start_totp(session, me.id, "my phone")
    session.commit()

    conn = session.connection()
    tables = rls.tables(conn)
    columns: dict[str, set[str]] = {}
    for t, c in conn.execute(text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public'")).all():
        columns.setdefault(t, set()).add(c)
    # the system scope sees the rows the checks are about
    assert conn.execute(text("SELECT count(*) FROM totp_devices")).scalar() >= 5
    strangers = list(conn.execute(text(
        "SELECT user_id FROM memberships WHERE school_id IN (:a, :b)"),
        {"a": two.id, "b": far.id}).scalars())
    assert len(strangers) == 2

    with db.session(dsl.scope()) as s:
        assert s.execute(text("SELECT current_user")).scalar() == rls.ROLE
        for table in tables:
            cols = columns[table]
            for col, allowed in (("school_id", {one.id}), ("trust_id", {trust.id})):
                if col not in cols:
                    continue
                where = f"{col} IS NOT NULL AND NOT ({col} = ANY (:ok))"
                if col == "trust_id" and "school_id" in cols:
                    where = f"school_id IS NULL AND {where}"  # a school row says its school
                leaked = s.execute(text(f'SELECT count(*) FROM "{table}" WHERE {where}'),
                                   {"ok": list(allowed)}).scalar()
                assert leaked == 0, f"{table}: {leaked} rows of another {col[:-3]}"
            if "user_id" in cols and table in SECRETS:
                others = s.execute(text(
                    f'SELECT count(*) FROM "{table}" WHERE user_id <> :me'), {"me": me.id}).scalar()
                assert others == 0, f"{table}: another person's rows"
        for table in ("login_attempts", "mail_messages", "alembic_version"):
            assert s.execute(text(f'SELECT count(*) FROM "{table}"')).scalar() == 0, table
        assert s.execute(text("SELECT count(*) FROM totp_devices")).scalar() == 1  # mine
        # colleagues' names are there (concern authors, the people page); the password
        # hashes readable are of people sharing the scope only (rls.SECRET_COLUMNS)
        names = set(s.execute(text("SELECT name FROM users")).scalars())
        assert colleague.name in names and me.name in names
        for table, secret in rls.SECRET_COLUMNS.items():
            for column in secret:
                with pytest.raises(Exception, match="permission denied"):
                    with s.begin_nested():
                        s.execute(text(f'SELECT "{column}" FROM "{table}"'))
        assert s.execute(text("SELECT count(*) FROM users WHERE id = ANY (:ids)"),
                         {"ids": strangers}).scalar() == 0


def test_the_system_scope_sees_every_school(db, session, make_trust, make_school, make_pupil,
                                            make_user):
    trust = make_trust()
    a, b = make_school(trust), make_school(trust)
    make_pupil(b)
    _, dsl = make_user("dsl", a)
    with db.session(dsl.scope()) as s:
        with system_scope(s, "test"):
            assert s.execute(text("SELECT count(*) FROM pupils WHERE school_id = :b"),
                             {"b": b.id}).scalar() == 1
            assert s.execute(text("SELECT count(*) FROM users WHERE password_hash IS NOT NULL")
                             ).scalar() >= 1
