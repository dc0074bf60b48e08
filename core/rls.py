"""PostgreSQL row-level security: the second wall behind the ORM's tenant criteria.

Scoped sessions run as the role ``mat_tenant`` with the schools and trusts they may see, and the
person asking, in three transaction-local settings. Every table of the database has row-level
security enabled *and forced* (so the table's owner is held by it too) and a policy for that
role (:data:`RULES`, else the table's ``school_id`` / ``trust_id``); a table without one fails
``tests/core/test_row_level_security.py``. So raw SQL, bulk paths and any query the ORM
criteria miss still cannot cross a tenant.

What a scoped request may see of the tables that belong to no school:

- ``users``: the person asking, and the people holding a role in a school or trust of the scope
  (names on concerns, owners of actions, the people page), and one added in this very
  transaction who holds no role yet (an admin adding a person, before the role). No one's
  argon2 ``password_hash`` is readable by the role at all (:data:`SECRET_COLUMNS`): pages ask
  ``has_password``, and checking a password reads the hash as the system;
- ``memberships``: the person's own, and those in the scope's schools (trust-level ones of the
  scope's trusts);
- ``totp_devices``, ``recovery_codes``, ``api_tokens``, ``web_sessions``: the person's own only,
  and of ``totp_devices`` never the ``secret`` column, even one's own (checking a code opens it
  as the system);
- ``invitations``: those inviting the person, and those the person sent;
- ``audit_entries``: entries of the scope's schools, of its trusts (trust chain) and of the
  platform chain (no school, no trust), so an audited read can append to its chain;
- ``job_runs``: jobs of the scope's schools and the person's own (a request may queue a
  platform job, e.g. sending mail, without reading it back);
- ``login_attempts``, ``mail_messages``, ``alembic_version``: nothing (sign-in, the mail
  outbox and migrations work in the system scope).

System code (jobs, CLI, the audited trust-wide opt-out) works as ``mat_system``, which has a
policy showing every row; the role that runs ``mat init`` is made a member of it. Neither role
may UPDATE, DELETE or TRUNCATE ``audit_entries`` (:data:`APPEND_ONLY`): below the trigger, the
privilege is not there. Which login roles hold these roles is :mod:`core.dbroles`.
``apply_policies`` is idempotent and runs after every ``upgrade``, so plugin tables added later
get their policy too.
"""
from __future__ import annotations

import weakref

from sqlalchemy import Connection, Engine, text

ROLE = "mat_tenant"
SYSTEM_ROLE = "mat_system"
POLICY = "mat_tenant_isolation"
SYSTEM_POLICY = "mat_system_access"
_available: "weakref.WeakKeyDictionary[Engine, bool]" = weakref.WeakKeyDictionary()

FUNCTIONS = tuple(
    f"CREATE OR REPLACE FUNCTION mat_{kind}_ids() RETURNS int[] LANGUAGE sql STABLE AS $$ "
    f"SELECT coalesce(string_to_array(nullif(current_setting('mat.{kind}s', true), ''), ',')"
    f"::int[], '{{}}'::int[]) $$"
    for kind in ("school", "trust")) + (
    "CREATE OR REPLACE FUNCTION mat_user_id() RETURNS int LANGUAGE sql STABLE AS $$ "
    "SELECT nullif(current_setting('mat.user', true), '')::int $$",
    # whether a person holds no role anywhere (memberships seen past the caller's policy)
    "CREATE OR REPLACE FUNCTION mat_user_without_role(uid int) RETURNS boolean LANGUAGE sql "
    "STABLE SECURITY DEFINER SET search_path = public AS $$ "
    "SELECT NOT EXISTS (SELECT 1 FROM memberships WHERE user_id = uid) $$",)

_IN_SCOPE = ("CASE WHEN school_id IS NOT NULL THEN school_id = ANY (mat_school_ids()) "
             "ELSE trust_id = ANY (mat_trust_ids()) END")
_OWN = "user_id = mat_user_id()"
#: table -> (USING, WITH CHECK) of the tenant policy, for tables a plain school_id / trust_id
#: rule does not fit
RULES: dict[str, tuple[str, str]] = {
    "schools": ("id = ANY (mat_school_ids())",) * 2,
    "trusts": ("id = ANY (mat_trust_ids())",) * 2,
    "users": ("id = mat_user_id() OR EXISTS (SELECT 1 FROM memberships m "
              "WHERE m.user_id = users.id) OR (created_at >= now() "
              "AND mat_user_without_role(id))", "true"),
    "memberships": (f"{_OWN} OR {_IN_SCOPE}", _IN_SCOPE),
    "totp_devices": (_OWN,) * 2,
    "recovery_codes": (_OWN,) * 2,
    "api_tokens": (_OWN,) * 2,
    "web_sessions": (_OWN,) * 2,
    "invitations": (f"{_OWN} OR created_by_id = mat_user_id()",) * 2,
    "audit_entries": ("CASE WHEN school_id IS NOT NULL THEN school_id = ANY (mat_school_ids()) "
                      "WHEN trust_id IS NOT NULL THEN trust_id = ANY (mat_trust_ids()) "
                      "ELSE true END",) * 2,
    "job_runs": ("CASE WHEN school_id IS NOT NULL THEN school_id = ANY (mat_school_ids()) "
                 f"ELSE {_OWN} END",
                 "school_id IS NULL OR school_id = ANY (mat_school_ids())"),
    "login_attempts": ("false",) * 2,
    "mail_messages": ("false",) * 2,
    "alembic_version": ("false",) * 2,
}
#: columns the tenant role may never read, of anyone: the table's other columns are granted
#: (the ORM defers them, so loading a person or an authenticator does not ask for them)
SECRET_COLUMNS: dict[str, set[str]] = {"users": {"password_hash"}, "totp_devices": {"secret"}}
#: tables no role of the running platform may change or empty, only add to
APPEND_ONLY = ("audit_entries",)


def tables(conn: Connection) -> list[str]:
    return list(conn.execute(text(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_type = 'BASE TABLE' ORDER BY table_name")).scalars())


def rule_for(table: str, columns: set[str]) -> tuple[str, str] | None:
    if table in RULES:
        return RULES[table]
    if "school_id" in columns:
        return ("school_id = ANY (mat_school_ids())",) * 2
    if "trust_id" in columns:
        return ("trust_id = ANY (mat_trust_ids())",) * 2
    return None


def _ensure_role(conn: Connection, role: str) -> bool:
    if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar():
        return True
    if not conn.execute(text(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")).scalar():
        return False
    conn.execute(text(f"CREATE ROLE {role} NOLOGIN"))
    return True


def apply_policies(conn: Connection) -> list[str]:
    """Create the roles (when allowed), grant them the tables, and (re)create the policies of
    every table. Returns the tables covered. A table no rule fits (no school, trust or rule
    of its own) is left without a policy for the tenant role, which then sees none of it."""
    if conn.dialect.name != "postgresql":
        return []
    if not (_ensure_role(conn, ROLE) and _ensure_role(conn, SYSTEM_ROLE)):
        return []  # an operator creates the roles; until then the ORM wall stands alone
    for role in (ROLE, SYSTEM_ROLE):
        if not conn.execute(text("SELECT pg_has_role(current_user, :r, 'MEMBER')"),
                            {"r": role}).scalar():
            conn.execute(text(f"GRANT {role} TO current_user"))
    for stmt in FUNCTIONS:
        conn.exec_driver_sql(stmt)
    for role in (ROLE, SYSTEM_ROLE):
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        conn.execute(text(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    cols: dict[str, set[str]] = {}
    for table, column in conn.execute(text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public'")).all():
        cols.setdefault(table, set()).add(column)
    for table in APPEND_ONLY:
        if table in cols:
            conn.execute(text(f'REVOKE UPDATE, DELETE, TRUNCATE ON "{table}" '
                              f"FROM {ROLE}, {SYSTEM_ROLE}"))
    for table, secret in SECRET_COLUMNS.items():
        if table in cols:
            visible = ", ".join(f'"{c}"' for c in sorted(cols[table] - secret))
            conn.execute(text(f'REVOKE SELECT ON "{table}" FROM {ROLE}'))
            conn.execute(text(f'GRANT SELECT ({visible}) ON "{table}" TO {ROLE}'))
    covered = []
    for table in tables(conn):
        rule = rule_for(table, cols.get(table, set()))
        _policy(conn, table, rule)
        if rule is not None:
            covered.append(table)
    return covered


def _policy(conn: Connection, table: str, rule: tuple[str, str] | None) -> None:
    conn.execute(text(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY'))
    conn.execute(text(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY'))
    conn.execute(text(f'DROP POLICY IF EXISTS {SYSTEM_POLICY} ON "{table}"'))
    conn.execute(text(f'CREATE POLICY {SYSTEM_POLICY} ON "{table}" TO {SYSTEM_ROLE} '
                      "USING (true) WITH CHECK (true)"))
    conn.execute(text(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"'))
    if rule is not None:
        using, check = rule
        conn.execute(text(f'CREATE POLICY {POLICY} ON "{table}" TO {ROLE} '
                          f"USING ({using}) WITH CHECK ({check})"))


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
    if conn.dialect.name != "postgresql":
        return
    conn.info["mat_scope"] = scope  # what the connection's transaction runs as now
    if not available(conn):
        return
    if scope.read_schools is None:
        conn.exec_driver_sql("RESET ROLE")
        return
    conn.exec_driver_sql(f"SET LOCAL ROLE {ROLE}")
    conn.execute(text("SELECT set_config('mat.schools', :s, true), "
                      "set_config('mat.trusts', :t, true), set_config('mat.user', :u, true)"),
                 {"s": ",".join(str(i) for i in sorted(scope.read_schools)),
                  "t": ",".join(str(i) for i in sorted(scope.trusts or ())),
                  "u": "" if scope.user_id is None else str(scope.user_id)})
