"""Every hook of the platform, declared in one place.

A plugin implements any of these with ``from core import hookimpl``. Hooks that concern one
school are never called as ``pm.hook.<name>`` but through
:func:`core.plugins.school_hook`, which leaves out the plugins switched off for that school.
The small result types (``Panel``, ``Metric``...) live in :mod:`core.contributions`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # annotations only: this module imports nothing of the platform at run time
    from core.contributions import (Action, BlueprintContribution, NavLink, ObjectCheck,
                                    PluginInfo)
    from core.policy import Actor

PROJECT = "mat"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- plugin description and app assembly ---------------------------------------------------

@hookspec
def mat_plugin_info() -> PluginInfo:
    """Describe the plugin: called once when the plugin host is built.

    Returns a :class:`core.contributions.PluginInfo` (name, label, description). The name is the
    key used for per-school enablement; it must match the entry-point name.
    """


@hookspec
def mat_register_actions() -> list[Action | ObjectCheck]:
    """Declare the plugin's access actions: called once per plugin host, the first time
    :func:`core.policy.can` asks about any action (not per school: a plugin switched off for a
    school is refused there by the web layer's 404, not by the policy).

    Returns a list of :class:`core.contributions.Action` (name, the school and trust roles that
    grant it, whether the second factor is required, whether it is a trust action) and
    :class:`core.contributions.ObjectCheck` (a predicate ``check(session, actor, school_id,
    obj)`` that may grant one of the plugin's own school actions when the roles do not, e.g.
    "a key adult of this school"). Core's own actions come through this hook too, from the
    built-in ``core`` plugin. An action name registered twice fails when the host is built.
    """


@hookspec
def mat_blueprints() -> list[BlueprintContribution]:
    """Contribute Flask blueprints: called once while the web app is assembled.

    Returns a list of :class:`core.contributions.BlueprintContribution`. Page blueprints take
    ``/schools/<int:school_id>/<plugin>/...`` URLs, API blueprints (``api=True``, flask-smorest
    ``Blueprint``) take ``/api/v1/schools/<int:school_id>/<plugin>/...``; the web layer answers
    404 for a school where the owning plugin is off. What a blueprint does for itself is said
    in its contribution, never as an attribute set on the blueprint: ``checks_school_itself``
    (no ``school_id`` in its URLs: the view finds the school and checks the plugin is on) and
    ``authenticates_itself`` (an API for machine clients with credentials of their own).
    """


@hookspec
def mat_cli_commands(cli: Any) -> None:
    """Add click commands to the ``mat`` command group ``cli``: called once at CLI start."""


@hookspec
def mat_recurring_jobs() -> list[Any]:
    """Declare recurring work: called when the RQ cron scheduler starts (``mat worker --cron``).

    Returns a list of :class:`core.contributions.RecurringJob`; each job has a stable name so
    registering twice is harmless. Jobs are called once per school that has the plugin on.
    """


@hookspec
def mat_nav_links(session: Any, school_id: int, actor: Actor) -> list[NavLink]:
    """Contribute links to a school's navigation: called per school page render (school-scoped),
    only for someone the policy lets see the school (``school.view``).

    ``session`` is the tenant-scoped session, ``actor`` the :class:`core.policy.Actor` viewing
    the page. Returns a list of :class:`core.contributions.NavLink`, and only the links whose
    page the policy allows this actor (ask ``core.policy.can(actor, <the page's action>,
    school_id, session=session)``): a link to a page that would answer 404 is not shown.
    """


# --- school pages ---------------------------------------------------------------------------

@hookspec
def mat_dashboard_panels(session: Any, school_id: int, actor: Any) -> list[Any]:
    """Contribute panels to a school's DSL dashboard (school-scoped).

    ``session`` is a tenant-scoped SQLAlchemy session, ``actor`` the :class:`core.policy.Actor`
    viewing it. Returns a list of :class:`core.contributions.Panel`.
    """


@hookspec
def mat_pupil_panels(session: Any, school_id: int, pupil_id: int, actor: Any) -> list[Any]:
    """Contribute panels to a pupil's page (school-scoped). Returns a list of ``Panel``."""


@hookspec
def mat_chronology_entries(
    session: Any, school_id: int, pupil_id: int, start: Any, end: Any
) -> list[Any]:
    """Contribute entries to a pupil's chronology (school-scoped).

    ``start`` and ``end`` are ``datetime.date`` or ``None`` (open range). Returns a list of
    :class:`core.contributions.ChronologyItem`; the core merges and sorts them with its own.
    """


# --- domain events --------------------------------------------------------------------------

@hookspec
def mat_concern_recorded(session: Any, school_id: int, concern_id: int) -> None:
    """React to a newly recorded concern (school-scoped), inside the recording transaction."""


@hookspec
def mat_concern_entry_added(session: Any, school_id: int, concern_id: int, entry_id: int) -> None:
    """React to a DSL entry (triage, referral, closure...) on a concern (school-scoped)."""


@hookspec
def mat_pupil_event(session: Any, school_id: int, pupil_id: int, event: str, data: dict) -> None:
    """React to a pupil event (school-scoped): ``event`` is one of ``created``, ``left``,
    ``flag_changed``, ``transferred_in``; ``data`` carries event details (JSON-able)."""


# --- transfer of the child-protection file --------------------------------------------------

@hookspec
def mat_transfer_sections(session: Any, school_id: int, pupil_id: int) -> list[Any]:
    """Contribute sections to a pupil's transfer package (school-scoped, sending school).

    Returns a list of :class:`core.contributions.TransferSection` whose ``data`` is JSON-able,
    so the package can be frozen and hashed.
    """


# --- trust overview -------------------------------------------------------------------------

@hookspec
def mat_metric_definitions() -> list[Any]:
    """Declare the trust-overview columns a plugin provides: called once per overview.

    Returns a list of :class:`core.contributions.MetricDefinition`.
    """


@hookspec
def mat_trust_metrics(session: Any, school_id: int, start: Any, end: Any) -> list[Any]:
    """Contribute one school's figures to the trust overview (school-scoped).

    ``start``/``end`` bound the period (``datetime.date``). Returns a list of
    :class:`core.contributions.Metric`; a plugin off for the school is not called, so its
    figures vanish from that school's row.
    """


# --- demo data ------------------------------------------------------------------------------

@hookspec
def mat_demo_data(session: Any, trust_id: int, school_ids: list[int], seed: int) -> None:
    """Seed realistic demo data for this plugin: called by ``mat demo`` after the core data.

    ``session`` is unscoped (system); ``seed`` makes the data reproducible.
    """
