"""The PostgreSQL roles of a deployment, as SQL a superuser runs once (``mat db roles
--print-sql``).

Four roles, each with one job:

- the **owner** (``mat_owner`` by default) owns the schema and every table, and is the only
  one that migrates (``MAT_DATABASE_OWNER_URL``, used by ``mat init``). No process of the
  running platform logs in as it.
- the **login** role (``mat`` by default) is what the web app, the workers and the scheduler
  log in as (``MAT_DATABASE_URL``): not a superuser, not ``BYPASSRLS``, owner of nothing, so
  it can neither alter nor drop a table nor switch a trigger off, and row-level security
  holds it.
- ``mat_tenant`` (:data:`core.rls.ROLE`): a signed-in person's transactions ``SET LOCAL ROLE``
  to it and see only their schools and trusts;
- ``mat_system`` (:data:`core.rls.SYSTEM_ROLE`): jobs, commands and the audited trust-wide
  steps work with its rights (the login role inherits them), which see every row but still
  may not change an audit entry.

``mat_tenant`` and ``mat_system`` belong to the whole PostgreSQL server and are shared by every
database on it; the statements create them only when they are missing.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from core import rls

NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Roles:
    """The names and passwords the statements are made for."""

    database: str
    owner: str = "mat_owner"
    login: str = "mat"
    owner_password: str = ""
    login_password: str = ""

    def __post_init__(self) -> None:
        for field in ("database", "owner", "login"):
            value = getattr(self, field)
            if not NAME.match(value):
                raise ValueError(f"{field}: {value!r} is not a plain PostgreSQL name "
                                 "(lower-case letters, digits and _, at most 63)")
        if self.owner == self.login:
            raise ValueError("owner and login must be different roles")
        if {self.owner, self.login} & {rls.ROLE, rls.SYSTEM_ROLE}:
            raise ValueError(f"{rls.ROLE} and {rls.SYSTEM_ROLE} are the platform's own roles")

    @classmethod
    def with_new_passwords(cls, database: str, owner: str = "mat_owner",
                           login: str = "mat") -> "Roles":
        return cls(database, owner, login, secrets.token_urlsafe(24), secrets.token_urlsafe(24))


def _quote(password: str) -> str:
    return "'" + password.replace("'", "''") + "'"


def _login_role(name: str, password: str) -> str:
    secret = f" PASSWORD {_quote(password)}" if password else ""
    return (f"CREATE ROLE {name} LOGIN{secret} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE "
            "NOREPLICATION INHERIT")


def statements(roles: Roles) -> list[str]:
    """The SQL, in order, for a superuser connected to ``roles.database`` (an empty database,
    or one the platform already uses: tables made before are handed to the owner)."""
    o, app, db = roles.owner, roles.login, roles.database
    shared = [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{r}') THEN "
        f"CREATE ROLE {r} NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT; END IF; END $$"
        for r in (rls.ROLE, rls.SYSTEM_ROLE)]
    return shared + [
        _login_role(o, roles.owner_password),
        _login_role(app, roles.login_password),
        # the owner sees every row while migrating (row-level security is forced, so it
        # holds the tables' owner too) through mat_system's policy
        f"GRANT {rls.ROLE}, {rls.SYSTEM_ROLE} TO {o}",
        # the app: SET LOCAL ROLE mat_tenant for a person's transaction, mat_system's rights
        # (inherited) for jobs and commands
        f"GRANT {rls.ROLE}, {rls.SYSTEM_ROLE} TO {app}",
        f"REVOKE ALL ON DATABASE {db} FROM PUBLIC",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {o}, {app}",
        f"ALTER SCHEMA public OWNER TO {o}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {app}",
        # a database the platform used before: its tables, sequences and functions pass to
        # the owner (nothing to do on a new one)
        "DO $$ DECLARE r record; BEGIN "
        "FOR r IN SELECT c.relname, CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN "
        "'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END AS kind FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
        "AND c.relkind IN ('r', 'p', 'v', 'm', 'S') "
        f"AND pg_get_userbyid(c.relowner) <> '{o}' "
        # a column's sequence follows its table
        "AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
        "AND d.objid = c.oid AND d.deptype IN ('a', 'i')) LOOP "
        f"EXECUTE format('ALTER %s public.%I OWNER TO {o}', r.kind, r.relname); END LOOP; "
        "FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_proc p JOIN pg_namespace n "
        "ON n.oid = p.pronamespace WHERE n.nspname = 'public' "
        f"AND pg_get_userbyid(p.proowner) <> '{o}' LOOP "
        f"EXECUTE format('ALTER FUNCTION %s OWNER TO {o}', r.fn); END LOOP; END $$",
    ]


def script(roles: Roles, host: str = "localhost", port: int | None = 5432) -> str:
    """The statements as a psql script, headed by the two URLs to configure."""
    where = f"{host}:{port}" if port else host
    lines = [
        f"-- Run once as a PostgreSQL superuser, connected to the database {roles.database}:",
        f"--   psql -v ON_ERROR_STOP=1 -d {roles.database} -f roles.sql",
        "-- Then configure the platform with:",
        f"--   MAT_DATABASE_OWNER_URL=postgresql+psycopg://{roles.owner}:"
        f"{roles.owner_password}@{where}/{roles.database}   (mat init only)",
        f"--   MAT_DATABASE_URL=postgresql+psycopg://{roles.login}:"
        f"{roles.login_password}@{where}/{roles.database}   (web, workers, scheduler)",
        "-- and run `mat init`.",
        "",
    ]
    return "\n".join(lines + [s + ";" for s in statements(roles)]) + "\n"
