"""The training plugin: staff safeguarding training, renewals, read-and-sign and compliance.

Hook implementations only; each delegates to the module that holds the rules.
"""
from __future__ import annotations

from core import hookimpl
from core.contributions import BlueprintContribution, NavLink, RecurringJob
from plugins.training import models  # noqa: F401  (registers the tables)
from plugins.training.definition import ACTIONS, INFO, NAME
# retention and subject access: the hook implementations live in retention.py
from plugins.training.retention import (  # noqa: F401
    mat_retention_destroy, mat_retention_record_types, mat_retention_records)


@hookimpl
def mat_plugin_info():
    """Name, label and description for the plugin list."""
    return INFO


@hookimpl
def mat_register_actions():
    """Who may keep and see training records (decided by core's policy)."""
    return list(ACTIONS)


@hookimpl
def mat_blueprints():
    """The training pages and the training API."""
    from plugins.training.api import blp
    from plugins.training.views import bp

    return [BlueprintContribution(NAME, bp), BlueprintContribution(NAME, blp, api=True)]


@hookimpl
def mat_nav_links(session, school_id, actor):
    """A Training link in the school's navigation (everyone has a training page)."""
    from core.policy import can

    if not can(actor, "school.view", school_id, session=session):
        return []
    return [NavLink(NAME, "Training", "training.home")]


@hookimpl
def mat_dashboard_panels(session, school_id, actor):
    """Compliance at a glance on the DSL dashboard."""
    from plugins.training.panels import dashboard_panel

    return dashboard_panel(session, school_id, actor)


@hookimpl
def mat_metric_definitions():
    """The trust overview's training columns."""
    from plugins.training import service

    return list(service.METRIC_DEFINITIONS)


@hookimpl
def mat_trust_metrics(session, school_id, start, end):
    """One school's training figures for the trust overview."""
    from plugins.training import service

    return service.school_metrics(session, school_id, start, end)


@hookimpl
def mat_trust_metrics_many(session, school_ids, start, end):
    """Every school's training figures for the trust overview, from one read of each table."""
    from plugins.training import service

    return service.school_metrics_many(session, school_ids, start, end)


@hookimpl
def mat_recurring_jobs():
    """Daily reminders before training runs out."""
    from plugins.training.jobs import send_reminders

    return [RecurringJob(NAME, "reminders", send_reminders, cron="15 6 * * *")]


@hookimpl
def mat_demo_data(session, trust_id, school_ids, seed):
    """Staff lists, records, a session and policies for the demo schools."""
    from plugins.training.demo import seed_demo

    seed_demo(session, trust_id, school_ids, seed)


@hookimpl
def mat_cli_commands(cli):
    """``mat training import`` and ``mat training reminders``."""
    from plugins.training.cli import add_commands

    add_commands(cli)


@hookimpl
def mat_report_figures(session, school_id, start, end):
    """Staff training in date at the end of the term, for the board report."""
    from plugins.training.board import report_figures

    return report_figures(session, school_id, start, end)
