"""Operation Encompass: police notifications that a child was exposed to domestic abuse,
matched to the roll, and the key adult's response before the next school day.

Hook implementations only; each delegates to the module that holds the rule.
"""
from __future__ import annotations

from core import hookimpl
from core.contributions import BlueprintContribution, NavLink, Panel, RecurringJob

from plugins.encompass import models  # noqa: F401  (registers the tables)
from plugins.encompass.definition import ACTIONS, INFO, NAME
# retention and subject access: the hook implementations live in retention.py
from plugins.encompass.retention import (  # noqa: F401
    mat_retention_destroy, mat_retention_record_types, mat_retention_records,
    mat_subject_access)


@hookimpl
def mat_plugin_info():
    return INFO


@hookimpl
def mat_register_actions():
    return list(ACTIONS)


@hookimpl
def mat_blueprints():
    from plugins.encompass.api import blp
    from plugins.encompass.views import bp

    # the police intake is routed by the URN in the payload, not the URL, and takes its own
    # client credentials, not a user's token
    return [BlueprintContribution(NAME, bp),
            BlueprintContribution(NAME, blp, api=True, checks_school_itself=True,
                                  authenticates_itself=True)]


@hookimpl
def mat_cli_commands(cli):
    from plugins.encompass import cli as commands

    commands.register(cli)


@hookimpl
def mat_recurring_jobs():
    from plugins.encompass import jobs

    return [RecurringJob(NAME, "encompass-overdue", jobs.check_overdue, cron="*/15 * * * *")]


@hookimpl
def mat_nav_links(session, school_id, actor):
    from core.policy import can

    if not can(actor, "encompass.read", school_id, session=session):
        return []  # the DSL team and the key adults only
    return [NavLink(NAME, "Operation Encompass", "encompass.inbox")]


@hookimpl
def mat_dashboard_panels(session, school_id, actor):
    from plugins.encompass import panels

    return panels.dashboard_panel(session, school_id, actor)


@hookimpl
def mat_pupil_panels(session, school_id, pupil_id, actor):
    from plugins.encompass import panels

    return panels.pupil_panel(session, school_id, pupil_id, actor)


@hookimpl
def mat_chronology_entries(session, school_id, pupil_id, start, end):
    from plugins.encompass import service

    return service.chronology(session, school_id, pupil_id)


@hookimpl
def mat_calendar_changed(session, school_id):
    from plugins.encompass import deadlines

    deadlines.recount_deadlines(session, school_id)


@hookimpl
def mat_transfer_sections(session, school_id, pupil_id):
    from plugins.encompass import service

    return service.transfer_section(session, school_id, pupil_id)


@hookimpl
def mat_metric_definitions():
    from plugins.encompass import service

    return list(service.METRICS)


@hookimpl
def mat_trust_metrics(session, school_id, start, end):
    from plugins.encompass import service

    return service.school_metrics(session, school_id, start, end)


@hookimpl
def mat_trust_metrics_many(session, school_ids, start, end):
    from plugins.encompass import service

    return service.school_metrics_many(session, school_ids, start, end)


@hookimpl
def mat_demo_data(session, trust_id, school_ids, seed):
    from plugins.encompass import demo

    demo.seed_demo(session, trust_id, school_ids, seed)


@hookimpl
def mat_pupil_indicators(session, school_id, pupil_ids, since):
    """Recent figures per child, for the trust lead's families across schools."""
    from plugins.encompass.board import pupil_indicators

    return pupil_indicators(session, school_id, pupil_ids, since)


@hookimpl
def mat_report_figures(session, school_id, start, end):
    """The term's figures for the board report, as counts."""
    from plugins.encompass.board import report_figures

    return report_figures(session, school_id, start, end)


@hookimpl
def mat_indicators(session, school_id, start, end, pupil_ids):
    """Dated indicators for the converging-signals rules (plugins/encompass/indicators.py)."""
    from plugins.encompass.indicators import indicators

    return indicators(session, school_id, start, end, pupil_ids)
