"""Least privilege in PostgreSQL, end to end: the roles ``mat db roles --print-sql`` prints are
created in a scratch database by a superuser, the owner migrates, and the app logs in as the
login role. That role is no superuser, cannot bypass row-level security, cannot change the
schema, switch the audit trigger off or change an audit entry; a school-1 scope sees no row of
another tenant in any table; and neither password hashes nor authenticator secrets can be
selected in a scoped transaction, while signing in and checking a code still work."""
import datetime as dt
import uuid

import psycopg
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text

from core import accounts, concerns, dbroles, pupils, rls, schools
from core.calendar import LONDON
from core.db import SYSTEM, Database, use_database
from core.migrate import upgrade
from core.models import User
from core.plugins import make_host
from core.policy import actor_for
from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.postgresql_only

SERVER = PG_ADMIN_URL.rsplit("/", 1)[0]


@pytest.fixture
def deployment(backend):
    """A scratch database with its own owner and login roles, migrated as the owner. Yields
    (roles, the app's Database on the login role)."""
    tag = uuid.uuid4().hex[:10]
    roles = dbroles.Roles(f"mat_roles_{tag}", owner=f"mat_owner_{tag}", login=f"mat_app_{tag}")
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{roles.database}"'))
    app = None
    try:
        with psycopg.connect(f"{SERVER}/{roles.database}".replace("+psycopg", ""),
                             autocommit=True) as conn:
            for stmt in dbroles.statements(roles):  # exactly what the command prints
                conn.execute(stmt)
        upgrade(_url(roles.owner, roles), host=make_host())  # mat init with the owner's URL
        app = Database(_url(roles.login, roles))
        use_database(app)
        yield roles, app
    finally:
        if app is not None:
            app.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{roles.database}" WITH (FORCE)'))
            for role in (roles.login, roles.owner):
                conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def _url(role: str, roles: dbroles.Roles) -> str:
    return SERVER.replace("postgres@", f"{role}@", 1) + "/" + roles.database


def _seed(app: Database):
    """Two trusts, three schools, a pupil and a concern in each, and in each school a person
    holding every kind of secret (password, authenticator, recovery codes, token)."""
    with app.transaction(SYSTEM) as s:
        trust, other = schools.create_trust(s, "Alder Trust"), schools.create_trust(s, "Birch")
        one = schools.create_school(s, trust.id, "900001", "One")
        two = schools.create_school(s, trust.id, "900002", "Two")
        far = schools.create_school(s, other.id, "900003", "Far")
        people = {}
        for n, school in enumerate((one, two, far)):
            pupil = pupils.add_pupil(s, None, school.id, first_name=f"Child{n}", last_name="Roles",
                                     date_of_birth=dt.date(2015, 5, 1), year_group=5,
                                     on_roll_from=dt.date(2025, 9, 1))
            concerns.record_concern(s, None, school.id, pupil_ids=[pupil.id],
                                    occurred_at=dt.datetime(2026, 10, 5, 10, tzinfo=LONDON),
                                    fact="Seen with a bruise.")
            user = accounts.create_user(s, f"dsl{n}@roles.test", f"Dsl {n}",
                                        "correct horse battery")
            accounts.grant_role(s, user.id, "dsl", school_id=school.id)
            device = accounts.start_totp(s, user.id, "phone")
            s.execute(text("UPDATE totp_devices SET confirmed_at = now() WHERE id = :i"),
                      {"i": device.id})
            accounts.new_recovery_codes(s, user.id)
            accounts.create_token(s, user.id, "laptop")
            people[school.id] = user.id
        ids = (trust.id, other.id, one.id, two.id, far.id)
    return ids, people


def test_the_login_role_is_neither_superuser_nor_bypassrls_nor_owner(deployment):
    roles, app = deployment
    with app.transaction(SYSTEM) as s:
        me, sup, bypass, create_role, create_db = s.execute(text(
            "SELECT rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles "
            "WHERE rolname = current_user")).one()
        assert me == roles.login
        assert (sup, bypass, create_role, create_db) == (False, False, False, False)
        owners = set(s.execute(text(
            "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'")).scalars())
        assert owners == {roles.owner}
        assert s.execute(text("SELECT pg_get_userbyid(nspowner) FROM pg_namespace "
                              "WHERE nspname = 'public'")).scalar() == roles.owner
        # the roles it may take, and no other
        held = set(s.execute(text(
            "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
            "WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user)")).scalars())
        assert held == {rls.ROLE, rls.SYSTEM_ROLE}
        for role in (rls.ROLE, rls.SYSTEM_ROLE):
            assert s.execute(text("SELECT rolsuper OR rolbypassrls OR rolcanlogin FROM pg_roles "
                                  "WHERE rolname = :r"), {"r": role}).scalar() is False


DENIED = [
    ("ALTER TABLE pupils ADD COLUMN extra text", "must be owner"),
    ("DROP TABLE concerns CASCADE", "must be owner"),
    ("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only", "must be owner"),
    ("ALTER TABLE audit_entries DISABLE TRIGGER ALL", "must be owner"),
    ("ALTER TABLE pupils NO FORCE ROW LEVEL SECURITY", "must be owner"),
    ("DROP POLICY mat_tenant_isolation ON pupils", "must be owner"),
    ("UPDATE audit_entries SET action = 'rewritten'", "permission denied"),
    ("DELETE FROM audit_entries", "permission denied"),
    ("TRUNCATE audit_entries", "permission denied"),
    ("SET ROLE postgres", "permission denied"),
    ("CREATE TABLE sneaky (id int)", "permission denied"),
]


@pytest.mark.parametrize("scoped", [False, True], ids=["system", "school-scope"])
def test_the_login_role_cannot_change_the_schema_or_the_audit_log(deployment, scoped):
    roles, app = deployment
    ids, people = _seed(app)
    with app.transaction(SYSTEM) as s:
        entries = s.execute(text("SELECT count(*) FROM audit_entries")).scalar()
        assert entries > 0
        scope = actor_for(s, people[ids[2]], mfa=True).scope() if scoped else SYSTEM
    for statement, error in DENIED:
        with pytest.raises(Exception, match=error):
            with app.transaction(scope) as s:
                s.execute(text(statement))
    with app.transaction(SYSTEM) as s:
        assert s.execute(text("SELECT count(*) FROM audit_entries")).scalar() >= entries
        assert s.execute(text("SELECT tgenabled FROM pg_trigger WHERE tgname = "
                              "'audit_entries_append_only'")).scalar() == "O"
        assert s.execute(text("SELECT count(*) FROM audit_entries WHERE action = 'rewritten'")
                         ).scalar() == 0


def test_a_school_scope_sees_no_other_tenant_in_any_table(deployment):
    """The meta-test's walk over every table, as the login role on the app's own path."""
    roles, app = deployment
    (trust, other, one, two, far), people = _seed(app)
    with app.transaction(SYSTEM) as s:
        conn = s.connection()
        tables = rls.tables(conn)
        columns: dict[str, set[str]] = {}
        for t, c in conn.execute(text("SELECT table_name, column_name FROM "
                                      "information_schema.columns WHERE table_schema = 'public'")):
            columns.setdefault(t, set()).add(c)
        totals = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables}
        dsl = actor_for(s, people[one], mfa=True)
    # the rows the walk is about exist, and the system scope sees them
    assert totals["pupils"] == 3 and totals["concerns"] == 3 and totals["totp_devices"] == 3
    with app.transaction(dsl.scope()) as s:
        assert s.execute(text("SELECT current_user")).scalar() == rls.ROLE
        for table in tables:
            cols = columns[table]
            for col, allowed in (("school_id", [one]), ("trust_id", [trust])):
                if col not in cols:
                    continue
                where = f"{col} IS NOT NULL AND NOT ({col} = ANY (:ok))"
                if col == "trust_id" and "school_id" in cols:
                    where = f"school_id IS NULL AND {where}"
                leaked = s.execute(text(f'SELECT count(*) FROM "{table}" WHERE {where}'),
                                   {"ok": allowed}).scalar()
                assert leaked == 0, f"{table}: {leaked} rows of another {col[:-3]}"
            if "user_id" in cols and table in ("totp_devices", "recovery_codes", "api_tokens",
                                               "web_sessions"):
                assert s.execute(text(f'SELECT count(*) FROM "{table}" WHERE user_id <> :me'),
                                 {"me": people[one]}).scalar() == 0, table
        assert s.execute(text("SELECT count(*) FROM pupils")).scalar() == 1
        assert s.execute(text("SELECT count(*) FROM schools")).scalar() == 1
        assert s.execute(text("SELECT count(*) FROM users WHERE id = ANY (:u)"),
                         {"u": [people[two], people[far]]}).scalar() == 0


def test_no_scope_can_select_a_password_hash_or_an_authenticator_secret(deployment):
    roles, app = deployment
    (trust, other, one, two, far), people = _seed(app)
    with app.transaction(SYSTEM) as s:
        dsl = actor_for(s, people[one], mfa=True)
    for column, table in (("password_hash", "users"), ("secret", "totp_devices"),
                          ("*", "users"), ("*", "totp_devices")):
        with pytest.raises(Exception, match="permission denied"):
            with app.transaction(dsl.scope()) as s:
                s.execute(text(f"SELECT {column} FROM {table} WHERE user_id = :me"
                               if table == "totp_devices" else
                               f"SELECT {column} FROM {table} WHERE id = :me"),
                          {"me": people[one]})
    # what the app does still works in the scope: a person loads, a password is checked, an
    # authenticator opened (each reads the secret column as the system, not the scope)
    with app.transaction(dsl.scope()) as s:
        me = s.get(User, people[one])
        assert me.name == "Dsl 0"
        assert accounts.check_password(me, "correct horse battery")
        assert not accounts.check_password(me, "wrong horse battery")
        assert accounts.waiting_for_password(s, [people[one]]) == set()
        device = accounts.start_totp(s, people[one], "second phone")
        assert len(accounts.plain_secret(device)) == 32
        assert s.execute(text("SELECT current_user")).scalar() == rls.ROLE  # back in scope


def test_the_command_prints_the_sql_the_test_ran(monkeypatch, tmp_path):
    from core.cli import build_cli

    monkeypatch.setenv("MAT_DATABASE_URL", f"{SERVER}/trustdb")
    monkeypatch.setenv("MAT_INSTANCE_PATH", str(tmp_path))
    done = CliRunner().invoke(build_cli(), ["db", "roles", "--print-sql", "--owner", "o_role",
                                            "--login", "app_role"], obj=object())
    assert done.exit_code == 0, done.output
    printed = [line.rstrip(";") for line in done.output.splitlines()
               if line and not line.startswith("--")]
    password = [p for p in done.output.split("'") if len(p) == 32]
    assert len(set(password)) == 2  # a fresh password for each login role
    made = dbroles.statements(dbroles.Roles("trustdb", "o_role", "app_role", *password))
    assert printed == made
    assert "CREATE ROLE app_role LOGIN PASSWORD" in done.output
    assert "NOSUPERUSER NOBYPASSRLS" in printed[3]
    assert f"MAT_DATABASE_URL=postgresql+psycopg://app_role:{password[1]}@127.0.0.1:5432/" \
           "trustdb" in done.output
    refused = CliRunner().invoke(build_cli(), ["db", "roles", "--print-sql", "--login",
                                               "mat_tenant"], obj=object())
    assert refused.exit_code == 2 and "platform's own roles" in refused.output
