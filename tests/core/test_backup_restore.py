"""A backup restores, and the restored audit chain proves itself: the steps of
docs/operations.md ("Backups and restore"), run for real.

The data is committed (not the rolled-back ``db`` fixture): a dump only sees committed rows.
The restore follows the guide exactly: as a superuser, the roles first (``mat_tenant``, and the
app's own login role holding it WITH ADMIN OPTION) and an empty database owned by the app's
role; then ``pg_restore --no-owner`` connected as that role, ``mat init`` (its upgrade, run in
this process to save a start-up) and ``mat audit verify`` as a command. The guide's app role is
``mat``; here it gets a unique name, since roles belong to the whole PostgreSQL server and other
tests share it. It logs in without a password, as the test server's trust authentication
allows. PostgreSQL only.
"""
from __future__ import annotations

import datetime as dt
import glob
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

import core.db
from core import accounts, audit, concerns, jobs, pupils, schools
from core.calendar import LONDON
from core.db import SYSTEM, Database, use_database
from core.migrate import upgrade
from core.models import AuditEntry
from core.policy import actor_for
from tests.conftest import BACKENDS, PG_ADMIN_URL

pytestmark = pytest.mark.skipif("postgresql" not in BACKENDS,
                                reason="MAT_TEST_BACKENDS leaves PostgreSQL out")
MAT = [sys.executable, "-c", "from web.cli import main; main()"]


def _tool(name: str) -> str:
    """A PostgreSQL client program: on PATH, else the newest in Debian's version folders."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                      key=lambda p: int(Path(p).parts[-3]))
    if not versions:
        pytest.fail(f"{name} not found (install the PostgreSQL client programs)")
    return versions[-1]


def _url(database: str, user: str | None = None) -> str:
    """A plain libpq URL (pg_dump, pg_restore and MAT_DATABASE_URL all take it)."""
    base = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
    if user:
        base = re.sub(r"//[^@/]*@", f"//{user}@", base)
    return f"{base}/{database}"


def _mat(url: str, *args: str, tmp: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MAT_DATABASE_URL=url, MAT_INSTANCE_PATH=str(tmp))
    env.pop("MAT_REDIS_URL", None)
    return subprocess.run(MAT + list(args), env=env, capture_output=True, text=True, timeout=120)


def _verified(output: str) -> int:
    counted = re.search(r"audit chain intact: (\d+) entries in \d+ chains verified", output)
    assert counted, output
    return int(counted.group(1))


def _write_case(db: Database) -> tuple[int, int, int]:
    """A trust, a school, a DSL, a pupil and a concern with entries, each step committed
    through the services (so each writes its audit entries). Returns school, concern and the
    DSL's user id."""
    with db.transaction(SYSTEM) as s:
        trust = schools.create_trust(s, "Backup Test Trust")
        school = schools.create_school(s, trust.id, "990199", "Backup Test Primary")
        dsl = accounts.create_user(s, "dsl@backup.invalid", "Dee Ess-Ell", "correct horse battery")
        accounts.grant_role(s, dsl.id, "dsl", school_id=school.id)
        pupil = pupils.add_pupil(s, None, school.id, first_name="Robin", last_name="Restore",
                                 date_of_birth=dt.date(2016, 3, 1), year_group=4,
                                 on_roll_from=dt.date(2025, 9, 1))
        school_id, pupil_id, dsl_id = school.id, pupil.id, dsl.id
    with db.transaction(SYSTEM) as s:
        actor = actor_for(s, dsl_id, mfa=True)
    with db.transaction(actor.scope()) as s:
        concern = concerns.record_concern(
            s, actor, school_id, pupil_ids=[pupil_id],
            occurred_at=dt.datetime(2026, 1, 12, 9, 5, tzinfo=LONDON),
            fact="Said nobody was at home last night.", child_words="Mum went away.")
        concern_id = concern.id
    with db.transaction(actor.scope()) as s:
        concerns.add_entry(s, actor, school_id, concern_id, "triage", risk_level="medium")
        concerns.add_entry(s, actor, school_id, concern_id, "note", body="Spoke to the aunt.")
    return school_id, concern_id, dsl_id


def test_dump_restore_and_the_restored_chain_verifies(tmp_path, host):
    pg_dump, pg_restore = _tool("pg_dump"), _tool("pg_restore")
    tag = uuid.uuid4().hex[:10]
    source, restored, app_role = f"mat_backup_{tag}", f"mat_restored_{tag}", f"mat_app_{tag}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    # put back afterwards whatever database and queue this process had (read directly:
    # current_database() would configure one from the environment when there is none)
    previous, previous_redis = core.db._current, jobs.redis_url()
    jobs.configure(None)
    engines = []
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{source}"'))
        upgrade(_url(source), host=host)
        live = Database(_url(source))
        engines.append(live.engine)
        use_database(live)  # jobs a service queues run inline against this database
        school_id, concern_id, dsl_id = _write_case(live)
        with live.transaction(SYSTEM) as s:  # what the nightly `mat audit verify` records
            before = audit.verify(s)
            assert before.ok and before.checked == s.scalar(select(func.count(AuditEntry.id)))
        assert before.checked >= 5

        dump = tmp_path / "mat.dump"
        subprocess.run([pg_dump, "-Fc", "-f", str(dump), "-d", _url(source)], check=True,
                       capture_output=True, text=True, timeout=60)

        # the guide's restore: roles and an empty database first (as a superuser) ...
        with admin.connect() as conn:
            for role in ("mat_tenant", "mat_system"):
                conn.execute(text(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE "
                                  f"rolname = '{role}') THEN CREATE ROLE {role} NOLOGIN; "
                                  "END IF; END $$"))
            conn.execute(text(f'CREATE ROLE "{app_role}" LOGIN'))
            conn.execute(text(f'GRANT mat_tenant TO "{app_role}" WITH ADMIN OPTION'))
            conn.execute(text(f'GRANT mat_system TO "{app_role}" WITH ADMIN OPTION'))
            conn.execute(text(f'CREATE DATABASE "{restored}" OWNER "{app_role}"'))
        # ... then the dump, as the app's role, so the app owns what it restores
        app_url = _url(restored, user=app_role)
        done = subprocess.run([pg_restore, "--no-owner", "--exit-on-error",
                               "--single-transaction", "-d", app_url, str(dump)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-3000:]
        upgrade(app_url, host=host)  # `mat init`
        verify = _mat(app_url, "audit", "verify", tmp=tmp_path)
        assert verify.returncode == 0, verify.stderr[-3000:]
        assert _verified(verify.stdout) == before.checked

        # the case file reads back through the services, as the DSL, under row-level security
        copy = Database(app_url)
        engines.append(copy.engine)
        use_database(copy)
        with copy.transaction(SYSTEM) as s:
            actor = actor_for(s, dsl_id, mfa=True)
        with copy.transaction(actor.scope()) as s:
            assert s.execute(text("SELECT current_user")).scalar() == "mat_tenant"
            view = concerns.get_concern(s, actor, school_id, concern_id)
            assert view.concern.child_words == "Mum went away."
            assert [e.kind for e in view.entries] == ["triage", "note"]
            assert [p.last_name for p in view.pupils] == ["Restore"]

        # and the check can fail: one entry from the middle removed under the triggers
        superuser = create_engine(_url(restored).replace("postgresql://",
                                                        "postgresql+psycopg://"),
                                  isolation_level="AUTOCOMMIT")
        engines.append(superuser)
        with superuser.connect() as conn:
            conn.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER ALL"))
            # the second entry of a chain with an entry after it
            deleted = conn.execute(text(
                "DELETE FROM audit_entries WHERE id = (SELECT id FROM audit_entries WHERE "
                "seq = 2 AND chain IN (SELECT chain FROM audit_entries GROUP BY chain "
                "HAVING count(*) >= 3) ORDER BY id LIMIT 1)")).rowcount
            assert deleted == 1
            conn.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER ALL"))
        broken = _mat(app_url, "audit", "verify", tmp=tmp_path)
        assert broken.returncode != 0
        assert "audit chain BROKEN" in broken.stderr
    finally:
        use_database(previous)
        jobs.configure(previous_redis)
        for engine in engines:
            engine.dispose()
        with admin.connect() as conn:
            for name in (source, restored):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{app_role}"'))
        admin.dispose()
