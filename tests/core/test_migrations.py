"""Migrations: the core branch alone gives a working core, models and migrations do not
drift, and upgrading an existing database keeps its data."""
from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, select

from core import pupils, schools
from core.db import SYSTEM, Database
from core.migrate import alembic_config, current_heads, script_heads, upgrade
from core.models import Pupil, Trust
from core.plugins import make_host


def test_core_head_alone_gives_a_working_core(database_factory, backend):
    core_only = make_host(load_entry_points=False)
    url = database_factory.url(backend)
    upgrade(url, "core@head", host=core_only)
    db = Database(url)
    database_factory.engines.append(db.engine)
    tables = set(inspect(db.engine).get_table_names())
    assert {"trusts", "schools", "pupils", "concerns", "audit_entries"} <= tables
    plugin_prefixes = ("attendance_", "encompass_", "transition_", "training_")
    assert not [t for t in tables if t.startswith(plugin_prefixes)]
    with db.transaction(SYSTEM) as s:
        trust = schools.create_trust(s, "Core only")
        school = schools.create_school(s, trust.id, "123456", "Core School")
    assert school.id


def test_models_and_migrations_do_not_drift(migrated):
    url, db = migrated
    cfg = alembic_config(url, make_host())
    command.check(cfg)  # raises if autogenerate would produce any operation


def test_every_branch_is_at_its_head(migrated):
    from alembic.script import ScriptDirectory

    url, db = migrated
    script = ScriptDirectory.from_config(alembic_config(url, make_host()))
    applied = {r.revision for r in script.revision_map.iterate_revisions(
        tuple(current_heads(db.engine)), "base")}
    # a plugin branch depends on the core's revision, so the core may not be listed as a
    # head of its own in the version table; every head must still be applied
    assert script_heads(url, make_host()) <= applied
    assert {"c0001", "att0001", "enc0001", "tr0001", "trn0001"} <= applied


def test_upgrading_an_existing_database_keeps_its_data(database_factory, backend):
    core_only = make_host(load_entry_points=False)
    url = database_factory.url(backend)
    upgrade(url, "core@head", host=core_only)
    db = Database(url)
    database_factory.engines.append(db.engine)
    import datetime as dt

    with db.transaction(SYSTEM) as s:
        trust = schools.create_trust(s, "Kept")
        school = schools.create_school(s, trust.id, "654321", "Kept School")
        pupils.add_pupil(s, None, school.id, first_name="Ada", last_name="Keep",
                         date_of_birth=dt.date(2016, 2, 29), year_group=4,
                         on_roll_from=dt.date(2024, 9, 1))
    upgrade(url, "heads", host=make_host())  # then the plugins' branches, as `mat init` does
    upgrade(url, "heads", host=make_host())  # and again: nothing to do, nothing lost
    with db.transaction(SYSTEM) as s:
        assert s.scalar(select(Trust.name).where(Trust.id == trust.id)) == "Kept"
        assert [p.last_name for p in s.scalars(select(Pupil))] == ["Keep"]


def test_a_plugins_branch_is_found_through_the_plugin_host():
    # `mat migrations new --plugin X` loads X through its entry point and nothing else
    one = make_host(only=["encompass"])
    assert one.names == ["encompass"]
    versions = one.migration_dir("encompass")
    assert (versions / "enc0001_initial_tables.py").is_file()
    assert versions in make_host().migration_dirs()


def _keys_of_models(dialect) -> dict[str, set[tuple]]:
    from sqlalchemy import ForeignKeyConstraint, UniqueConstraint

    from core.db import Base

    make_host()  # loading the plugins imports their models
    prep = dialect.identifier_preparer
    keys: dict[str, set[tuple]] = {}
    for table in Base.metadata.tables.values():
        rows = keys.setdefault(table.name, set())
        for c in table.constraints:
            # the name as the database holds it (PostgreSQL shortens one over 63 characters)
            name = prep.format_constraint(c).strip(prep.initial_quote) if c.name else None
            if isinstance(c, UniqueConstraint):
                rows.add(("unique", name, tuple(col.name for col in c.columns)))
            elif isinstance(c, ForeignKeyConstraint):
                rows.add(("foreign", name, tuple(c.column_keys), c.referred_table.name,
                          tuple(e.column.name for e in c.elements)))
    return keys


def _sqlite_column_key_names(engine, table) -> dict[str, str]:
    """SQLite cannot add a constraint to a table, only a column carrying one (``ADD COLUMN x
    INTEGER CONSTRAINT name REFERENCES t (id)``), and SQLAlchemy's reflection reads no name
    from such a column: read it from the table's SQL."""
    import re

    if engine.dialect.name != "sqlite":
        return {}
    with engine.connect() as c:
        sql = c.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                                (table,)).scalar() or ""
    return dict(re.findall(r'"?(\w+)"?\s+INTEGER\s+CONSTRAINT\s+"?(\w+)"?\s+REFERENCES', sql))


def _keys_of_database(engine, tables) -> dict[str, set[tuple]]:
    insp = inspect(engine)
    keys: dict[str, set[tuple]] = {}
    for table in tables:
        rows = keys.setdefault(table, set())
        column_names = _sqlite_column_key_names(engine, table)
        for u in insp.get_unique_constraints(table):
            rows.add(("unique", u["name"], tuple(u["column_names"])))
        for f in insp.get_foreign_keys(table):
            name = f["name"] or column_names.get(f["constrained_columns"][0])
            rows.add(("foreign", name, tuple(f["constrained_columns"]), f["referred_table"],
                      tuple(f["referred_columns"])))
    return keys


def test_migrations_create_the_models_keys_by_name(migrated):
    # `alembic check` matches foreign keys by their columns, not their names: this holds every
    # unique constraint and foreign key of the models, the tenant keys the SchoolScoped mixin
    # writes included, to the name and columns the migrations gave it
    url, db = migrated
    models = _keys_of_models(db.engine.dialect)
    assert _keys_of_database(db.engine, models) == models
