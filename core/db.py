"""Database plumbing: the declarative base, tenant mixins, engines and tenant-scoped sessions.

Every session carries a :class:`Scope`. A session event adds the tenant criteria to every ORM
query (SQLAlchemy's ``with_loader_criteria`` recipe) and a ``before_flush`` check refuses rows
written outside the schools the scope may write, or edits of append-only records. A session
with no scope refuses to query at all: code cannot forget the tenant, it can only opt out
explicitly with :func:`system_scope` (jobs, CLI, migrations) or :func:`trust_wide`.
"""
from __future__ import annotations

import datetime as dt
import os
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, Iterator, TypeVar

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    ForeignKey,
    ForeignKeyConstraint,
    MetaData,
    UniqueConstraint,
    create_engine,
    event,
    select,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    sessionmaker,
    with_loader_criteria,
)
from sqlalchemy.pool import Pool
from sqlalchemy.types import TypeDecorator

from core.errors import AppendOnlyViolation, NotFound, TenantViolation

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored: give it a timezone")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict: JSON, list: JSON}


class TrustScoped:
    """Rows that belong to a trust as a whole (categories, family links, trust settings)."""

    @declared_attr
    def trust_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("trusts.id"), index=True)


class SchoolScoped:
    """Rows that belong to one school. ``trust_id`` rides along so the data can be sharded by
    trust; it is filled from the school when not given.

    The mixin also writes the tenant constraints that keep a row's links inside its school
    (see :func:`_tenant_constraints`): a :func:`school_key` column, and a ``pupil_id`` column
    that declares no key of its own, becomes the composite foreign key
    ``(column, school_id) -> (table.id, table.school_id)``; a model that sets
    ``__school_key_target__ = True`` gets the unique ``(id, school_id)`` such a key points at.
    """

    #: other school rows point at this table with a school key: give it the unique key
    #: ``(id, school_id)`` that a composite foreign key needs
    __school_key_target__: ClassVar[bool] = False

    @declared_attr
    def school_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("schools.id"), index=True)

    @declared_attr
    def trust_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("trusts.id"), index=True)


_SCHOOL_KEY = "mat_school_key"
#: ``info`` of a ``pupil_id`` column that is deliberately not a school key (it is pinned to the
#: pupil's school some other way, e.g. by triggers)
NO_SCHOOL_KEY = {_SCHOOL_KEY: None}


def school_key(table: str, **kwargs: Any) -> Any:
    """A column holding the id of a row of ``table`` *of the same school*, e.g.
    ``concern_id: Mapped[int] = school_key("concerns", index=True)``. On a
    :class:`SchoolScoped` model it becomes the composite foreign key
    ``(column, school_id) -> (table.id, table.school_id)``, so no row can point at another
    school's; ``table``'s model sets ``__school_key_target__ = True``. Other arguments go to
    ``mapped_column``. A ``pupil_id`` column needs no ``school_key("pupils")``: it is one
    unless it declares a key of its own."""
    return mapped_column(info={**kwargs.pop("info", {}), _SCHOOL_KEY: table}, **kwargs)


def _school_key_of(column) -> str | None:
    if _SCHOOL_KEY in column.info:
        return column.info[_SCHOOL_KEY]
    if column.name == "pupil_id" and not column.foreign_keys:
        return "pupils"
    return None


@event.listens_for(SchoolScoped, "instrument_class", propagate=True)
def _tenant_constraints(mapper, cls) -> None:
    """Add the tenant constraints of a school model to its table, once, before anything reads
    the table (the naming convention names them as a hand-written copy would be named). A
    constraint the model already declares by hand is not added twice."""
    table = mapper.local_table
    if table is None or "school_id" not in table.c:
        return
    if cls.__school_key_target__ and not any(
            isinstance(c, UniqueConstraint) and [k.name for k in c.columns] == ["id", "school_id"]
            for c in table.constraints):
        table.append_constraint(UniqueConstraint("id", "school_id"))
    for column in list(table.c):
        target = _school_key_of(column)
        if target is None:
            continue
        pair = [column.name, "school_id"]
        if any(isinstance(c, ForeignKeyConstraint) and list(c.column_keys) == pair
               for c in table.constraints):
            continue
        table.append_constraint(
            ForeignKeyConstraint(pair, [f"{target}.id", f"{target}.school_id"]))


class AppendOnly:
    """Records that, once flushed, are never updated or deleted (concerns, entries, audit)."""


@dataclass(frozen=True)
class Scope:
    """Which tenants a session may see and write. ``None`` means every one (system code)."""

    user_id: int | None
    read_schools: frozenset[int] | None
    write_schools: frozenset[int] | None
    trusts: frozenset[int] | None
    reason: str = ""

    @property
    def is_system(self) -> bool:
        return self.read_schools is None


SYSTEM = Scope(user_id=None, read_schools=None, write_schools=None, trusts=None, reason="system")


def set_scope(session: Session, scope: Scope) -> None:
    session.info["mat_scope"] = scope


def get_scope(session: Session) -> Scope:
    scope = session.info.get("mat_scope")
    if scope is None:
        raise TenantViolation("this session has no tenant scope: use Database.session(scope=...)")
    return scope


@contextmanager
def system_scope(session: Session, reason: str) -> Iterator[Session]:
    """Lift tenant limits for trusted system code (jobs, CLI, trust-level aggregates). On
    PostgreSQL the transaction leaves the row-level-security role for the block too (nothing
    is sent when it already runs as the system), and takes it back as the block ends."""
    before = session.info.get("mat_scope")
    user_id = before.user_id if before else None
    lifted = Scope(user_id, None, None, None, reason=reason)
    set_scope(session, lifted)
    _sync_database_scope(session, lifted)
    try:
        yield session
    finally:
        if before is None:
            session.info.pop("mat_scope", None)
        else:
            set_scope(session, before)
            _sync_database_scope(session, before)


# --- the scope a connection's transaction runs with in PostgreSQL ---------------------------
# ``conn.info[_DB_SCOPE]`` is the scope the connection's current transaction was last set to
# (see core.rls.enter_scope). Absent: the login role, no settings, which is how every
# transaction starts (a tenant scope is SET LOCAL, so it ends with its transaction); so a
# system session sends nothing, and a tenant session sends its role and settings once.
# Unknown (after a ROLLBACK TO SAVEPOINT, which undoes a role set inside it): set it again.
_DB_SCOPE = "mat_scope"
_UNKNOWN = object()


def _db_state(scope: Any) -> Any:
    """What a scope changes in the database: nothing for system code; else the role with the
    schools, trusts and person it may see."""
    if scope is None:
        return None
    if scope is _UNKNOWN:
        return _UNKNOWN
    if scope.is_system:
        return None
    return (scope.read_schools, scope.trusts, scope.user_id)


def _apply_database_scope(conn, scope: Scope) -> None:
    if conn.dialect.name != "postgresql":
        return
    if _db_state(conn.info.get(_DB_SCOPE)) == _db_state(scope):
        conn.info[_DB_SCOPE] = scope
        return
    from core import rls

    rls.enter_scope(conn, scope)


@event.listens_for(Pool, "checkout")
def _fresh_connection(dbapi_conn, record, proxy) -> None:
    # between checkouts the pool rolled back: whatever scope was SET LOCAL is gone
    record.info.pop(_DB_SCOPE, None)


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_over(conn) -> None:
    conn.info.pop(_DB_SCOPE, None)


@event.listens_for(Engine, "rollback_savepoint")
def _savepoint_undone(conn, name, context) -> None:
    conn.info[_DB_SCOPE] = _UNKNOWN


def _sync_database_scope(session: Session, scope: Scope) -> None:
    if session.in_transaction():
        _apply_database_scope(session.connection(), scope)


@event.listens_for(Session, "after_begin")
def _database_scope_on_begin(session: Session, transaction, connection) -> None:
    """Every transaction starts with the session's scope applied in the database as well."""
    scope = session.info.get("mat_scope")
    if scope is not None:
        _apply_database_scope(connection, scope)


def _keep_database_scope(session: Session) -> None:
    """Re-apply the session's scope when another session sharing its connection (a test's
    outer transaction) changed the connection's role since this one began. A dictionary
    look-up, no SQL, when nothing changed."""
    scope = session.info.get("mat_scope")
    if scope is None or not session.in_transaction():
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql" and conn.info.get(_DB_SCOPE) is not scope:
        _apply_database_scope(conn, scope)


@event.listens_for(Session, "do_orm_execute")
def _add_tenant_criteria(state: ORMExecuteState) -> None:
    _keep_database_scope(state.session)
    if not (state.is_select or state.is_update or state.is_delete):
        return
    scope = get_scope(state.session)
    if scope.read_schools is not None:
        state.statement = state.statement.options(*_school_criteria(scope.read_schools))
    if scope.trusts is not None:
        state.statement = state.statement.options(*_trust_criteria(scope.trusts))


# The criteria options of a set of schools (or trusts), built once and reused by every query
# of every scope with that set: building them costs more than the query's own compiling, and
# a request makes a dozen queries with the same few schools.
@lru_cache(maxsize=4096)
def _school_criteria(read_schools: frozenset[int]) -> tuple:
    from core.models.tenancy import School  # local: models import this module

    school_ids = tuple(sorted(read_schools))
    return (with_loader_criteria(SchoolScoped, lambda cls: cls.school_id.in_(school_ids),
                                 include_aliases=True),
            with_loader_criteria(School, School.id.in_(school_ids), include_aliases=True))


@lru_cache(maxsize=4096)
def _trust_criteria(trusts: frozenset[int]) -> tuple:
    trust_ids = tuple(sorted(trusts))
    return (with_loader_criteria(TrustScoped, lambda cls: cls.trust_id.in_(trust_ids),
                                 include_aliases=True),)


@event.listens_for(Session, "before_flush")
def _check_writes(session: Session, flush_context, instances) -> None:
    scope = get_scope(session)
    _keep_database_scope(session)
    for obj in session.deleted:
        if isinstance(obj, AppendOnly):
            raise AppendOnlyViolation(f"{type(obj).__name__} records cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, AppendOnly) and session.is_modified(obj, include_collections=False):
            raise AppendOnlyViolation(
                f"{type(obj).__name__} records cannot be edited: add an amendment instead"
            )
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, SchoolScoped):
            if obj.school_id is None:
                raise TenantViolation(f"{type(obj).__name__} written without a school_id")
            if scope.write_schools is not None and obj.school_id not in scope.write_schools:
                raise TenantViolation(
                    f"{type(obj).__name__} may not be written to school {obj.school_id}"
                )
            if obj.trust_id is None:
                obj.trust_id = _trust_of_school(session, obj.school_id)
        elif isinstance(obj, TrustScoped):
            if scope.trusts is not None and obj.trust_id not in scope.trusts:
                raise TenantViolation(f"{type(obj).__name__} may not be written to that trust")


def narrow_scope(session: Session, scope: Scope) -> None:
    """Hand a session that worked as the system (finding who is asking) over to ``scope``
    for the rest of its transaction: what it changed is flushed first, what it loaded leaves
    the identity map (so no later ``get`` is answered from a row ``scope`` may not see), and
    the database role follows at once."""
    session.flush()
    session.expunge_all()
    set_scope(session, scope)
    _sync_database_scope(session, scope)


def remember_trusts(session: Session, school_trust: dict[int, int]) -> None:
    """Tell the session which trust each school belongs to (a request knows it from the
    actor's schools), so neither rows written nor audit lines look it up again. The same
    per-session memory :func:`core.schools.trust_of` keeps; a school never moves trust."""
    session.info.setdefault("mat_trust_of", {}).update(school_trust)


def _trust_of_school(session: Session, school_id: int) -> int | None:
    known = session.info.setdefault("mat_trust_of", {})
    if school_id not in known:
        from core.models.tenancy import School

        with session.no_autoflush, system_scope(session, "fill trust_id"):
            known[school_id] = session.scalar(select(School.trust_id).where(
                School.id == school_id))
    return known[school_id]


T = TypeVar("T")


def find_in_school(session: Session, model: type[T], row_id: Any, school_id: int,
                   **options: Any) -> T | None:
    """Row ``row_id`` of ``model`` if it belongs to ``school_id``, else None. The school is
    checked here because ``session.get`` answers from the identity map without the tenant
    criteria (a trust-wide or system session may also see every school). ``options`` go to
    ``session.get``."""
    row = session.get(model, row_id, **options)
    if row is None or row.school_id != school_id:  # type: ignore[attr-defined]
        return None
    return row


def get_in_school(session: Session, model: type[T], row_id: Any, school_id: int, what: str,
                  **options: Any) -> T:
    """Row ``row_id`` of ``model`` if it belongs to ``school_id``, else :class:`NotFound`
    naming ``what`` ("concern", "pupil"...): the same answer whether the row is missing or
    another school's, so a 404 never confirms that a record exists."""
    row = find_in_school(session, model, row_id, school_id, **options)
    if row is None:
        raise NotFound(what)
    return row


def normalise_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str, **kwargs) -> Engine:
    """An engine with the per-backend settings the platform relies on."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        # pysqlite's own transaction handling breaks SAVEPOINT and defers BEGIN; take it over
        # (SQLAlchemy's documented recipe) and switch on foreign keys, which SQLite ignores
        # by default.
        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, record):
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


_open_engines: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def _forget_pools_after_fork() -> None:
    """An RQ work-horse is a fork of its worker: it must open connections of its own, never
    share the parent's sockets (SQLAlchemy's guidance for ``os.fork``)."""
    for engine in list(_open_engines):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_pools_after_fork)


class Database:
    """An engine plus a session factory. ``session(scope)`` is the only way to get a session."""

    def __init__(self, url: str | None = None, engine: Engine | None = None, **engine_kwargs):
        if engine is None:
            if url is None:
                raise ValueError("Database needs a url or an engine")
            engine = make_engine(url, **engine_kwargs)
        self.engine = engine
        self.factory = sessionmaker(bind=engine, expire_on_commit=False)
        _open_engines.add(engine)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def session(self, scope: Scope, **kwargs) -> Session:
        session = self.factory(**kwargs)
        set_scope(session, scope)
        return session

    @contextmanager
    def transaction(self, scope: Scope) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        session = self.session(scope)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


_current: Database | None = None


def init_database(url: str) -> Database:
    """Set the process-wide database (the app factory, the CLI and job workers call this)."""
    global _current
    _current = Database(url)
    return _current


def use_database(db: Database) -> None:
    global _current
    _current = db


def current_database() -> Database:
    """The process's database; a worker started with plain ``rq worker`` configures itself
    from the ``MAT_*`` environment on first use."""
    if _current is None:
        from core.runtime import start

        start()
    return _current
