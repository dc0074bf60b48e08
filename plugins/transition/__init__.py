"""Transition: the child-protection file follows the child. Hook implementations only: each
delegates to the module that holds the rule."""
from __future__ import annotations

from core import hookimpl
from core.contributions import NavLink, Panel, RecurringJob
from plugins.transition import models  # noqa: F401  (registers the tables)
from plugins.transition.definition import ACTIONS, INFO, NAME


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
    from plugins.transition.service import on_pupil_event

    on_pupil_event(session, school_id, pupil_id, event, data)


@hookimpl
def mat_concern_entry_added(session, school_id, concern_id, entry_id):
    from plugins.transition.timeline import refuse_entries_after_handover

    refuse_entries_after_handover(session, school_id, concern_id)


@hookimpl
def mat_chronology_entries(session, school_id, pupil_id, start, end):
    from plugins.transition.timeline import chronology

    return chronology(session, school_id, pupil_id)


@hookimpl
def mat_transfer_sections(session, school_id, pupil_id):
    from plugins.transition.timeline import earlier_files

    return earlier_files(session, school_id, pupil_id)


@hookimpl
def mat_dashboard_panels(session, school_id, actor):
    from flask import render_template

    from core.policy import can
    from plugins.transition.deadlines_watch import watch

    if not can(actor, "transfer.handle", school_id):
        return []
    html = render_template("transition/_dashboard_panel.html", w=watch(session, school_id),
                           school_id=school_id)
    return [Panel(NAME, "Child-protection file transfers", html, order=40)]


@hookimpl
def mat_pupil_panels(session, school_id, pupil_id, actor):
    from flask import render_template
    from sqlalchemy import select

    from core.policy import can
    from plugins.transition.models import Transfer
    from plugins.transition.receiving import received_files

    if not can(actor, "transfer.handle", school_id):
        return []
    transfer = session.scalar(select(Transfer).where(Transfer.school_id == school_id,
                                                     Transfer.pupil_id == pupil_id))
    received = received_files(session, school_id, pupil_id)
    if transfer is None and not received:
        return []
    html = render_template("transition/_pupil_panel.html", transfer=transfer,
                           received=received, school_id=school_id)
    return [Panel(NAME, "Transfer of the child-protection file", html, order=30)]


@hookimpl
def mat_metric_definitions():
    from plugins.transition.deadlines_watch import METRICS

    return list(METRICS)


@hookimpl
def mat_trust_metrics(session, school_id, start, end):
    from plugins.transition.deadlines_watch import metrics

    return metrics(session, school_id, start, end)


@hookimpl
def mat_recurring_jobs():
    from plugins.transition.jobs import transfer_reminders

    return [RecurringJob(NAME, "transfer_reminders", transfer_reminders, cron="15 7 * * *")]


@hookimpl
def mat_cli_commands(cli):
    from plugins.transition.cli import transition

    cli.add_command(transition)


@hookimpl
def mat_demo_data(session, trust_id, school_ids, seed):
    from plugins.transition.demo import seed_demo

    seed_demo(session, trust_id, school_ids, seed)
