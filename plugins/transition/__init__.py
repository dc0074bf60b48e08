"""Transition: the child-protection file follows the child. Hook implementations only: each
delegates to the module that holds the rule."""
from __future__ import annotations

from core import hookimpl
from core.contributions import NavLink, RecurringJob
from plugins.transition import models  # noqa: F401  (registers the tables)
from plugins.transition.definition import ACTIONS, INFO, NAME
# retention and subject access: the hook implementations live in retention.py
from plugins.transition.retention import (  # noqa: F401
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
    from core.contributions import BlueprintContribution
    from plugins.transition.api import blp
    from plugins.transition.views import bp, public_bp

    # the one-time download link of an out-of-trust bundle is routed by its token, not a school
    return [BlueprintContribution(NAME, bp),
            BlueprintContribution(NAME, public_bp, checks_school_itself=True),
            BlueprintContribution(NAME, blp, api=True)]


@hookimpl
def mat_nav_links(session, school_id, actor):
    from core.policy import can

    if not can(actor, "transfer.handle", school_id, session=session):
        return []  # only the DSL team has anything behind the link
    return [NavLink(NAME, "Transfers", "transition.index")]


@hookimpl
def mat_pupil_event(session, school_id, pupil_id, event, data):
    from plugins.transition import service

    service.on_pupil_event(session, school_id, pupil_id, event, data)  # a transfer
    service.missing_on_pupil_event(session, school_id, pupil_id, event, data)  # CME steps


@hookimpl
def mat_concern_entry_added(session, school_id, concern_id, entry_id):
    from plugins.transition import service

    service.refuse_entries_after_handover(session, school_id, concern_id)


@hookimpl
def mat_chronology_entries(session, school_id, pupil_id, start, end):
    from plugins.transition import service

    return service.chronology(session, school_id, pupil_id)


@hookimpl
def mat_transfer_sections(session, school_id, pupil_id):
    from plugins.transition import service

    return service.earlier_files(session, school_id, pupil_id)


@hookimpl
def mat_dashboard_panels(session, school_id, actor):
    from plugins.transition import panels

    return panels.dashboard_panel(session, school_id, actor)


@hookimpl
def mat_pupil_panels(session, school_id, pupil_id, actor):
    from plugins.transition import panels

    return panels.pupil_panel(session, school_id, pupil_id, actor)


@hookimpl
def mat_metric_definitions():
    from plugins.transition import service

    return list(service.METRICS)


@hookimpl
def mat_trust_metrics(session, school_id, start, end):
    from plugins.transition import service

    return service.metrics(session, school_id, start, end)


@hookimpl
def mat_trust_metrics_many(session, school_ids, start, end):
    from plugins.transition import service

    return service.metrics_many(session, school_ids, start, end)


@hookimpl
def mat_recurring_jobs():
    from plugins.transition import jobs

    return [RecurringJob(NAME, "transfer_reminders", jobs.transfer_reminders, cron="15 7 * * *")]


@hookimpl
def mat_cli_commands(cli):
    from plugins.transition import cli as commands

    cli.add_command(commands.transition)


@hookimpl
def mat_demo_data(session, trust_id, school_ids, seed):
    from plugins.transition import demo

    demo.seed_demo(session, trust_id, school_ids, seed)


@hookimpl
def mat_pupil_indicators(session, school_id, pupil_ids, since):
    """Recent figures per child, for the trust lead's families across schools."""
    from plugins.transition.board import pupil_indicators

    return pupil_indicators(session, school_id, pupil_ids, since)


@hookimpl
def mat_report_figures(session, school_id, start, end):
    """The term's figures for the board report, as counts."""
    from plugins.transition.board import report_figures

    return report_figures(session, school_id, start, end)


@hookimpl
def mat_indicators(session, school_id, start, end, pupil_ids):
    """Dated indicators for the converging-signals rules (plugins/transition/indicators.py)."""
    from plugins.transition.indicators import indicators

    return indicators(session, school_id, start, end, pupil_ids)
