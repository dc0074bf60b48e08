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
    from core import rls
    from core.db import make_engine

    cfg = alembic_config(url, host, plugins)
    own = engine is None
    engine = engine or make_engine(url)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, target)
            rls.apply_policies(conn)  # idempotent; covers plugin tables added just now
        rls.forget(engine)
    finally:
        if own:
            engine.dispose()


def current_heads(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def script_heads(url: str, host: PluginHost | None = None) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(url, host)).get_heads())


def new_revision(url: str, plugin: str | None, message: str, rev_id: str | None = None) -> None:
    """Autogenerate a migration for the core (``plugin`` None) or one plugin's branch.

    Run it in a process that loads only the core and that plugin, against a database already
    at ``heads``, so the diff holds just that plugin's tables. A plugin's first revision
    starts its own branch (labelled with its name) and depends on the core's first revision.
    """
    from core.plugins import make_host

    if plugin is None:
        host = make_host(load_entry_points=False)
        version_path = HERE / "versions"
        branch, depends, head = None, None, "core@head"
    else:
        # the plugin is found as the app finds it, through its entry point, and no other
        # plugin is loaded, so their models stay out of the diff
        host = make_host(only=[plugin])
        version_path = host.migration_dir(plugin)
        version_path.mkdir(parents=True, exist_ok=True)
        cfg = alembic_config(url, host)
        heads = ScriptDirectory.from_config(cfg).get_revisions(f"{plugin}@head") \
            if any(version_path.glob("*.py")) else ()
        branch = None if heads else plugin
        depends = None if heads else "c0001"
        head = f"{plugin}@head" if heads else "base"
    cfg = alembic_config(url, host)
    command.upgrade(cfg, "heads")
    command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id,
                     branch_label=branch, depends_on=depends, head=head,
                     version_path=str(version_path))
