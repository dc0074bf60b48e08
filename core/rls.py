"""PostgreSQL row-level security: the second wall behind the ORM's tenant criteria.

Scoped sessions run as the role ``mat_tenant`` with the schools and trusts they may see in two
transaction-local settings; every table with a ``school_id`` (or only a ``trust_id``) has a
policy that shows that role only those rows. So raw SQL, bulk paths and any query the ORM
criteria miss still cannot cross a tenant. System code (jobs, CLI, the audited trust-wide
opt-out) runs as the connecting user. ``apply_policies`` is idempotent and runs after every
``upgrade``, so plugin tables added later get their policy too.
"""
from __future__ import annotations

import weakref

from sqlalchemy import Connection, Engine, text

ROLE = "mat_tenant"
# tables that name a school but are read by the platform itself, never through a school page
EXEMPT = {"memberships", "audit_entries", "job_runs", "alembic_version"}
_available: "weakref.WeakKeyDictionary[Engine, bool]" = weakref.WeakKeyDictionary()

FUNCTIONS = tuple(
    f"CREATE OR REPLACE FUNCTION mat_{kind}_ids() RETURNS int[] LANGUAGE sql STABLE AS $$ "
    f"SELECT coalesce(string_to_array(nullif(current_setting('mat.{kind}s', true), ''), ',')"
    f"::int[], '{{}}'::int[]) $$"
    for kind in ("school", "trust"))


def apply_policies(conn: Connection) -> list[str]:
    """Create the role (when allowed), grant it the tables, and (re)create one policy per
    tenant table. Returns the tables covered."""
    if conn.dialect.name != "postgresql":
        return []
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ROLE}).scalar()
    if not exists:
        can_create = conn.execute(text(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")).scalar()
        if not can_create:
            return []  # an operator creates the role; until then the ORM wall stands alone
        conn.execute(text(f"CREATE ROLE {ROLE} NOLOGIN"))
    conn.execute(text(f"GRANT {ROLE} TO current_user"))
    for stmt in FUNCTIONS:
        conn.exec_driver_sql(stmt)
    conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {ROLE}"))
    conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ROLE}"))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}"))
    cols = conn.execute(text(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name IN ('school_id', 'trust_id')")).all()
    by_table: dict[str, set[str]] = {}
    for table, column in cols:
        by_table.setdefault(table, set()).add(column)
    covered = []
    for table, columns in sorted(by_table.items()):
        if table in EXEMPT:
            continue
        if "school_id" in columns:
            rule = "school_id = ANY (mat_school_ids())"
        else:
            rule = "trust_id = ANY (mat_trust_ids())"
        _policy(conn, table, rule)
        covered.append(table)
    _policy(conn, "schools", "id = ANY (mat_school_ids())")
    _policy(conn, "trusts", "id = ANY (mat_trust_ids())")
    return covered + ["schools", "trusts"]


def _policy(conn: Connection, table: str, rule: str) -> None:
    conn.execute(text(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY'))
    conn.execute(text(f'DROP POLICY IF EXISTS mat_tenant_isolation ON "{table}"'))
    conn.execute(text(f'CREATE POLICY mat_tenant_isolation ON "{table}" TO {ROLE} '
                      f"USING ({rule}) WITH CHECK ({rule})"))


def available(conn: Connection) -> bool:
    """Whether this database has the role and the connecting user may take it."""
    engine = conn.engine
    if engine not in _available:
        _available[engine] = bool(conn.execute(text(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :r) "
            "AND pg_has_role(current_user, (SELECT oid FROM pg_roles WHERE rolname = :r), "
            "'MEMBER')"), {"r": ROLE}).scalar())
    return _available[engine]


def forget(engine: Engine) -> None:
    _available.pop(engine, None)


def enter_scope(conn: Connection, scope) -> None:
    """Make this transaction run with ``scope``'s limits (or none, for system code)."""
    if conn.dialect.name != "postgresql" or not available(conn):
        return
    if scope.read_schools is None:
        conn.exec_driver_sql("RESET ROLE")
        return
    conn.exec_driver_sql(f"SET LOCAL ROLE {ROLE}")
    conn.execute(text("SELECT set_config('mat.schools', :s, true), set_config('mat.trusts', :t, true)"),
                 {"s": ",".join(str(i) for i in sorted(scope.read_schools)),
                  "t": ",".join(str(i) for i in sorted(scope.trusts or ()))})
