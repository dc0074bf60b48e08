"""The small typed objects hooks return. Each carries the plugin's name, since pluggy does not
say who answered and the trust overview drops a switched-off plugin's figures school by school."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class PluginInfo:
    name: str
    label: str
    description: str


@dataclass(frozen=True)
class BlueprintContribution:
    plugin: str
    blueprint: Any
    api: bool = False


@dataclass(frozen=True)
class NavLink:
    plugin: str
    label: str
    endpoint: str


@dataclass(frozen=True)
class Panel:
    plugin: str
    title: str
    html: str  # already-escaped markup, rendered with |safe by the page
    order: int = 50


@dataclass(frozen=True)
class ChronologyItem:
    plugin: str
    kind: str
    at: dt.datetime
    title: str
    detail: str = ""
    link: str | None = None


@dataclass(frozen=True)
class TransferSection:
    plugin: str
    title: str
    data: dict
    text: str = ""


@dataclass(frozen=True)
class MetricDefinition:
    plugin: str
    key: str
    label: str
    unit: str = ""  # "%", "per 100", "hours", "" (count)
    national: float | None = None  # England's published figure, where there is one
    higher_is_better: bool | None = None


@dataclass(frozen=True)
class Metric:
    plugin: str
    school_id: int
    key: str
    value: float | None


@dataclass(frozen=True)
class RecurringJob:
    plugin: str
    name: str
    func: Callable[..., Any]  # module-level function taking ``school_id``
    cron: str = "0 2 * * *"
    kwargs: dict = field(default_factory=dict)
