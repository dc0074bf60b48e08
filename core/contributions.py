"""The small typed objects hooks return. Each carries the plugin's name, since pluggy does not
say who answered and the trust overview drops a switched-off plugin's figures school by school."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable


def _roles(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):  # "dsl" would otherwise become {"d", "s", "l"}
        raise TypeError("roles are a collection of role names, not one string")
    return frozenset(value)


@dataclass(frozen=True)
class Action:
    """Something a person may be allowed to do, declared through ``mat_register_actions`` and
    decided only by :func:`core.policy.can`.

    A school action (``trust_level=False``) is granted by a role in the school
    (``school_roles``) or a role in the school's trust (``trust_roles``); a trust action is
    granted by ``trust_roles`` in that trust only. ``mfa`` refuses it to anyone who has not
    given their second factor in this sign-in, whatever their roles.
    """

    plugin: str
    name: str
    school_roles: frozenset[str] = frozenset()
    trust_roles: frozenset[str] = frozenset()
    mfa: bool = False
    trust_level: bool = False
    description: str = ""

    def __post_init__(self):
        object.__setattr__(self, "school_roles", _roles(self.school_roles))
        object.__setattr__(self, "trust_roles", _roles(self.trust_roles))
        if self.trust_level and self.school_roles:
            raise ValueError(f"trust action {self.name!r} cannot be granted by school roles")


@dataclass(frozen=True)
class ObjectCheck:
    """One more way to be granted a school action, decided against the data rather than roles
    (Encompass: "a key adult of this school"). Declared through ``mat_register_actions`` by the
    plugin that owns the action, and consulted by :func:`core.policy.can` only when the roles
    have not already granted it, only after the action's second-factor rule, and only when the
    caller passes a ``session``.

    ``check(session, actor, school_id, obj)`` returns True to allow; ``obj`` is whatever the
    caller passed as ``obj=`` (``None`` for a school-wide question). It must not raise for a
    refusal: answer False and the policy turns that into a 404.
    """

    plugin: str
    action: str
    check: Callable[[Any, Any, int, Any], bool]
    description: str = ""


@dataclass(frozen=True)
class PluginInfo:
    name: str
    label: str
    description: str


@dataclass(frozen=True)
class BlueprintContribution:
    """A blueprint and what the web layer must know to mount and guard it.

    ``api``: a flask-smorest ``Blueprint`` mounted under ``/api/v1`` (else a Flask page
    blueprint). ``checks_school_itself``: its URLs name no ``school_id`` (a police intake routed
    by the school named in the body, a download link routed by its token), so the web layer
    lets the request through and the view resolves the school and checks the plugin is on
    there itself; otherwise a URL without ``school_id``, or for a school where the plugin is
    off, answers 404. ``authenticates_itself``: an API blueprint for machine clients with
    credentials of their own, answering 401 itself; the API's other walls still stand.
    """

    plugin: str
    blueprint: Any
    api: bool = False
    checks_school_itself: bool = False
    authenticates_itself: bool = False


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
    higher_is_better: bool | None = None  # the direction; None where neither way is better
    yes_no: bool = False  # a value of 1 means yes and 0 no: pages show the word
    base: str | None = None  # "plugin.key" of the row's figure a % is taken over ("core.pupils")


@dataclass(frozen=True)
class Metric:
    plugin: str
    school_id: int
    key: str
    value: float | None


@dataclass(frozen=True)
class PupilIndicator:
    """One recent figure about one pupil, for the trust lead's view of families across
    schools: ``value`` is a count (notifications since a date) or a yes/no (persistent
    absence), ``label`` how the page names it."""

    plugin: str
    pupil_id: int
    key: str
    label: str
    value: int | bool


@dataclass(frozen=True)
class ReportFigure:
    """One school's figure for the board report: ``count`` alone is a count; with ``of`` it is
    a rate, ``count`` of ``of`` (shown as a percentage), or with ``yes_no`` a yes (1 of 1) or
    no (0 of 1). ``about_children`` figures go through the small-number rule
    (core.suppression); staff figures (training) do not."""

    plugin: str
    school_id: int
    key: str
    label: str
    count: int
    of: int | None = None
    about_children: bool = True
    yes_no: bool = False  # one school's yes (1 of 1) or no (0 of 1), shown as a word


@dataclass(frozen=True)
class RecurringJob:
    plugin: str
    name: str
    func: Callable[..., Any]  # module-level function taking ``school_id``
    cron: str = "0 2 * * *"
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Indicator:
    """One dated sign about a pupil, contributed through ``mat_indicators`` for the converging
    signals rules (:mod:`core.signals`). ``kind`` is namespaced by its source
    (``attendance.falling``, ``encompass.notification``, ``core.concern``); ``source`` is the
    plugin's name (``core`` for the core); ``label`` is a sentence a DSL reads; ``link`` the
    page where it can be checked; ``ref`` a stable id of the record behind it, so the same
    indicator seen again is recognised and a new one is not."""

    pupil_id: int
    school_id: int
    kind: str
    date: dt.date
    source: str
    label: str
    link: str | None = None
    ref: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.pupil_id}:{self.date.isoformat()}:{self.ref}"
