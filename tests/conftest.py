"""Shared fixtures (after the Flask tutorial): a migrated database per backend, a transaction
rolled back after each test, a fresh plugin host, and factory fixtures.

Every database test runs on SQLite *and* PostgreSQL (the ``backend`` parameter). PostgreSQL is
found at ``MAT_TEST_PG_URL`` (default: the local server); a missing PostgreSQL is a failure,
not a skip.
"""
from __future__ import annotations

import datetime as dt
import itertools
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from core import accounts, concerns, pupils, schools
from core.calendar import LONDON, TermSpan
from core.db import SYSTEM, Database, make_engine, use_database
from core.migrate import upgrade
from core.plugins import current_host, make_host, use_host
from core.policy import actor_for

PG_ADMIN_URL = os.environ.get("MAT_TEST_PG_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# one audit key for every process of the test run (apps, workers, commands): entries written
# by one part verify in another
os.environ.setdefault("MAT_AUDIT_KEY", "test-audit-key-held-outside-the-database-0123456789")
os.environ.setdefault("MAT_TOTP_KEY", "test-totp-key-held-outside-the-database-0123456789")
BACKENDS = [b for b in os.environ.get("MAT_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
_counter = itertools.count(1)


def pytest_collection_modifyitems(config, items):
    """``@pytest.mark.postgresql_only`` tests are about PostgreSQL features (row-level
    security): they are not collected for the SQLite backend rather than skipped there."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.get_closest_marker("postgresql_only") and params.get("backend") == "sqlite":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


class DatabaseFactory:
    """Creates fresh, fully migrated databases and removes them at the end of the session."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.pg_names: list[str] = []
        self.engines = []

    def url(self, backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self.tmp / f'mat-{next(_counter)}.sqlite3'}"
        name = f"mat_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.pg_names.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    def create(self, backend: str, target: str = "heads", host=None) -> tuple[str, Database]:
        url = self.url(backend)
        upgrade(url, target, host=host or make_host())
        db = Database(url)
        self.engines.append(db.engine)
        return url, db

    def cleanup(self) -> None:
        for e in self.engines:
            e.dispose()
        if self.pg_names:
            admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                for name in self.pg_names:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory):
    factory = DatabaseFactory(tmp_path_factory.mktemp("dbs"))
    yield factory
    factory.cleanup()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def migrated(database_factory, backend) -> tuple[str, Database]:
    """One migrated database per backend for the whole session."""
    return database_factory.create(backend)


@pytest.fixture
def host():
    """A fresh plugin host with the installed plugins, current for the test."""
    h = make_host()
    use_host(h)
    yield h
    use_host(None)


@pytest.fixture
def db(migrated, host):
    """A :class:`Database` whose every session works inside one outer transaction that is
    rolled back after the test (commits become savepoints)."""
    url, base = migrated
    conn = base.engine.connect()
    outer = conn.begin()
    test_db = Database(engine=base.engine)
    test_db.factory = sessionmaker(bind=conn, join_transaction_mode="create_savepoint",
                                   expire_on_commit=False)
    use_database(test_db)
    yield test_db
    outer.rollback()
    conn.close()


@pytest.fixture
def session(db):
    """A system-scoped session inside the test transaction (for arranging data)."""
    s = db.session(SYSTEM)
    yield s
    s.close()


@pytest.fixture
def make_trust(session):
    def _make(name: str | None = None):
        return schools.create_trust(session, name or f"Trust {next(_counter)}")
    return _make


def _urn() -> str:
    return f"{800000 + next(_counter):06d}"


@pytest.fixture
def make_school(session, make_trust, host):
    """make_school(trust=None, plugins=(...), terms=True): a school with this academic year's
    terms; ``plugins`` names the plugins to switch on (all installed ones by default)."""
    def _make(trust=None, plugins=None, name=None, terms=True):
        trust = trust or make_trust()
        sc = schools.create_school(session, trust.id, _urn(), name or f"School {next(_counter)}")
        if terms:
            schools.set_terms(session, sc.id, [
                TermSpan("Autumn", dt.date(2025, 9, 3), dt.date(2025, 12, 19)),
                TermSpan("Spring", dt.date(2026, 1, 5), dt.date(2026, 3, 27)),
                TermSpan("Summer", dt.date(2026, 4, 13), dt.date(2026, 7, 22)),
                TermSpan("Autumn", dt.date(2026, 9, 2), dt.date(2026, 12, 18)),
            ])
        h = current_host()  # the test may have swapped in its own host
        for name_ in (h.names if plugins is None else plugins):
            h.set_enabled(session, sc.id, name_, True)
        return sc
    return _make


@pytest.fixture
def make_user(session):
    """make_user(role, school=None, trust=None, mfa=True) -> (User, Actor)."""
    def _make(role: str, school=None, trust=None, mfa: bool = True, email: str | None = None):
        n = next(_counter)
        u = accounts.create_user(session, email or f"user{n}@example.org", f"User {n}",
                                 "correct horse battery")
        accounts.grant_role(session, u.id, role, school_id=school.id if school else None,
                            trust_id=trust.id if trust else None)
        return u, actor_for(session, u.id, mfa=mfa)
    return _make


@pytest.fixture
def make_pupil(session):
    def _make(school, **kw):
        n = next(_counter)
        data = dict(first_name=f"Pupil{n}", last_name="Test", date_of_birth=dt.date(2015, 5, 1),
                    year_group=5, on_roll_from=dt.date(2025, 9, 1))
        data.update(kw)
        return pupils.add_pupil(session, None, school.id, **data)
    return _make


@pytest.fixture
def make_concern(session):
    def _make(school, pupil_list, actor=None, **kw):
        data = dict(occurred_at=dt.datetime(2026, 10, 5, 10, 30, tzinfo=LONDON),
                    fact="Seen with a bruise on the arm.")
        data.update(kw)
        return concerns.record_concern(session, actor, school.id,
                                       pupil_ids=[p.id for p in pupil_list], **data)
    return _make


# --- the web app ----------------------------------------------------------------------------

CSRF = "test-csrf-token"


@pytest.fixture
def app(db, host, tmp_path):
    from core.config import Settings
    from web import create_app

    settings = Settings(instance_path=tmp_path, database_url="sqlite://",
                        secret_key="x" * 40)
    application = create_app(settings, db=db, host=host)
    application.config.update(TESTING=True)
    return application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login_as(client, make_user):
    """login_as(role, school=None, trust=None, mfa=True) -> (User, Actor): signs the test
    client in (second factor passed unless ``mfa=False``). Forms must send
    ``csrf_token=CSRF``."""
    def _login(role, school=None, trust=None, mfa=True):
        user, actor = make_user(role, school=school, trust=trust, mfa=mfa)
        with client.session_transaction() as sess:
            sess.clear()
            sess["_user_id"] = str(user.id)
            sess["_fresh"] = True
            sess["csrf_token"] = CSRF
            if mfa:
                sess["mfa_ok"] = True
        return user, actor
    return _login
