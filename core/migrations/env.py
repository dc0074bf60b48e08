"""Alembic environment for the core and every plugin branch."""
from __future__ import annotations

from alembic import context

from core.concern_search import search_objects
from core.db import Base, make_engine
import core.models  # noqa: F401  (registers the core tables)

config = context.config
host = config.attributes.get("host")
if host is None:
    from core.plugins import current_host

    host = current_host()  # loading the plugins imports their models too
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


def _include(obj, name, type_, reflected, compare_to) -> bool:
    """Leave to the migrations what the models do not describe: the concern search's FTS5
    tables (and their shadow tables) and its expression indexes."""
    tables, indexes = search_objects()
    if type_ == "table" and reflected:
        return not any(name == t or name.startswith(f"{t}_") for t in tables)
    return not (type_ == "index" and name in indexes)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_include,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
