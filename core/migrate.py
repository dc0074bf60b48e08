"""Alembic wiring: one environment whose ``version_locations`` cover the core and every
installed plugin's ``migrations/versions`` (each plugin its own branch)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from core.plugins import PluginHost, current_host

HERE = Path(__file__).parent / "migrations"


def alembic_config(url: str, host: PluginHost | None = None, plugins: bool = True) -> Config:
    host = host or current_host()
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    locations = [str(HERE / "versions")]
    if plugins:
        locations += [str(p) for p in host.migration_dirs()]
    cfg.set_main_option("version_locations", " ".join(locations))
    cfg.set_main_option("path_separator", "space")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["host"] = host
    return cfg


def upgrade(url: str, target: str = "heads", host: PluginHost | None = None,
            plugins: bool = True, engine: Engine | None = None) -> None:
    """Create or bring up to date every branch (``heads``), or a given target such as
    ``core@head``. Existing data is kept: migrations only add and alter."""
    cfg = alembic_config(url, host, plugins)
    if engine is not None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, target)
    else:
        command.upgrade(cfg, target)


def current_heads(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def script_heads(url: str, host: PluginHost | None = None) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(url, host)).get_heads())
