"""The plugin host: builds the pluggy manager, keeps per-school enablement, and calls
school-scoped hooks only for the plugins switched on in that school."""
from __future__ import annotations

import logging
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable

import pluggy
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import builtin, hookspecs
from core.contributions import PluginInfo
from core.db import utcnow
from core.errors import NotFound, ValidationError

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "mat.plugins"
CORE = "core"


class PluginHost:
    """A pluggy ``PluginManager`` plus what the platform knows about each plugin."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self._info: dict[str, PluginInfo] = {}
        for name, plugin in pm.list_name_plugin():
            if name == CORE:
                continue
            infos = [i for i in pm.subset_hook_caller(
                "mat_plugin_info", [p for p in pm.get_plugins() if p is not plugin]
            )() if i is not None]
            info = infos[0] if infos else PluginInfo(name=name, label=name.title(), description="")
            if info.name != name:
                raise RuntimeError(f"plugin {name!r} calls itself {info.name!r}: names must match")
            self._info[name] = info

    # --- what is installed -------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return sorted(self._info)

    def info(self, name: str) -> PluginInfo:
        try:
            return self._info[name]
        except KeyError:
            raise NotFound(f"plugin {name}") from None

    def module_dirs(self) -> list[Path]:
        dirs = []
        for name in self.names:
            plugin = self.pm.get_plugin(name)
            if isinstance(plugin, ModuleType) and getattr(plugin, "__file__", None):
                dirs.append(Path(plugin.__file__).parent)
        return dirs

    def migration_dirs(self) -> list[Path]:
        return [d / "migrations" / "versions" for d in self.module_dirs()
                if (d / "migrations" / "versions").is_dir()]

    def migration_dir(self, name: str) -> Path:
        """Where plugin ``name`` keeps its Alembic branch (the folder may not exist yet)."""
        plugin = self.pm.get_plugin(name) if name in self._info else None
        if not isinstance(plugin, ModuleType) or not getattr(plugin, "__file__", None):
            raise NotFound(f"plugin {name}")
        return Path(plugin.__file__).parent / "migrations" / "versions"

    # --- per-school enablement ----------------------------------------------------------
    def enabled(self, session: Session, school_id: int) -> set[str]:
        from core.models import PluginSetting

        rows = session.scalars(
            select(PluginSetting.plugin).where(
                PluginSetting.school_id == school_id, PluginSetting.enabled.is_(True)
            )
        )
        return {r for r in rows if r in self._info}

    def is_enabled(self, session: Session, school_id: int, name: str) -> bool:
        """Whether ``name`` is on for the school; the core is on in every school."""
        return name == CORE or name in self.enabled(session, school_id)

    def set_enabled(self, session: Session, school_id: int, name: str, enabled: bool,
                    user_id: int | None = None) -> bool:
        """Switch ``name`` on or off for a school. Data is kept either way. Returns whether
        anything changed; the change is audited."""
        from core import audit
        from core.models import PluginSetting

        if name not in self._info:
            raise ValidationError({"plugin": [f"no installed plugin is called {name!r}"]})
        row = session.scalar(select(PluginSetting).where(
            PluginSetting.school_id == school_id, PluginSetting.plugin == name))
        if row is not None and row.enabled == enabled:
            return False
        if row is None:
            row = PluginSetting(school_id=school_id, plugin=name)
            session.add(row)
        row.enabled = enabled
        row.changed_by_id = user_id
        row.changed_at = utcnow()
        session.flush()
        audit.record(session, "plugin.enabled" if enabled else "plugin.disabled",
                     object_type="plugin", object_id=name, school_id=school_id,
                     user_id=user_id)
        return True

    def school_hook(self, session: Session, school_id: int, name: str) -> pluggy.HookCaller:
        """The hook ``name`` as seen by one school: plugins off there are left out."""
        on = self.enabled(session, school_id)
        off = [self.pm.get_plugin(n) for n in self.names if n not in on]
        return self.pm.subset_hook_caller(name, remove_plugins=[p for p in off if p is not None])

    def call_for_school(self, session: Session, school_id: int, name: str, **kwargs) -> list[Any]:
        """Call a school-scoped hook and flatten the list-of-lists answers."""
        results = self.school_hook(session, school_id, name)(session=session, school_id=school_id,
                                                             **kwargs)
        flat: list[Any] = []
        for r in results:
            if isinstance(r, (list, tuple)):
                flat.extend(r)
            elif r is not None:
                flat.append(r)
        return flat

    def call_global(self, name: str, **kwargs) -> list[Any]:
        """Call a hook that is not about one school (app assembly, CLI, definitions)."""
        flat: list[Any] = []
        for r in getattr(self.pm.hook, name)(**kwargs):
            if isinstance(r, (list, tuple)):
                flat.extend(r)
            elif r is not None:
                flat.append(r)
        return flat


def load_entry_point_plugins(pm: pluggy.PluginManager, only: Iterable[str] | None = None) -> None:
    """Register every plugin of the ``mat.plugins`` entry-point group under its entry name
    (or just those named in ``only``, so a process can load one plugin without the others).

    An entry point whose module is gone (a plugin folder removed while stale install metadata
    still names it) is logged and skipped, so removing a plugin leaves a working core; any
    other import error is raised, since a broken plugin must not pass unnoticed.
    """
    wanted = None if only is None else set(only)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if pm.has_plugin(ep.name) or (wanted is not None and ep.name not in wanted):
            continue
        try:
            module = ep.load()
        except ModuleNotFoundError as exc:
            if exc.name and ep.value.split(":")[0].startswith(exc.name):
                log.warning("plugin %s: module %s is not installed; skipped", ep.name, exc.name)
                continue
            raise
        pm.register(module, name=ep.name)


def make_host(load_entry_points: bool = True, extra: Iterable[tuple[str, Any]] = (),
              only: Iterable[str] | None = None) -> PluginHost:
    """Build a fresh plugin host: hookspecs, core's own behaviour as a plugin, the installed
    plugins (all, or those named in ``only``), any ``extra`` (name, plugin) pairs, then
    ``check_pending`` so a misspelt hook implementation fails at start-up."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(builtin, name=CORE)
    if load_entry_points:
        load_entry_point_plugins(pm, only)
    for name, plugin in extra:
        pm.register(plugin, name=name)
    pm.check_pending()
    return PluginHost(pm)


_host: PluginHost | None = None


def current_host() -> PluginHost:
    global _host
    if _host is None:
        _host = make_host()
    return _host


def use_host(host: PluginHost | None) -> None:
    global _host
    _host = host
