"""Alembic environment for the core and every plugin branch."""
from __future__ import annotations

from alembic import context

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


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
