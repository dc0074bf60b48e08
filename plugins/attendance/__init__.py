"""Attendance: register marks, absence measures and absence patterns as safeguarding signals.

Hook implementations only; each delegates to the module that holds the rules."""
from core import hookimpl
from core.contributions import BlueprintContribution, MetricDefinition, NavLink, RecurringJob

from . import models  # noqa: F401  (registers the tables)
from .definition import INFO, NAME


@hookimpl
def mat_plugin_info():
    return INFO


@hookimpl
def mat_blueprints():
    from .api import blp
    from .views import bp

    return [BlueprintContribution(NAME, bp), BlueprintContribution(NAME, blp, api=True)]


@hookimpl
def mat_nav_links(session, school_id):
    return [NavLink(NAME, "Attendance", "attendance.dashboard")]


@hookimpl
def mat_dashboard_panels(session, school_id, actor):
    from .panels import dashboard_panel

    return [dashboard_panel(session, school_id, actor)]


@hookimpl
def mat_pupil_panels(session, school_id, pupil_id, actor):
    from .panels import pupil_panel

    panel = pupil_panel(session, school_id, pupil_id, actor)
    return [panel] if panel else []


@hookimpl
def mat_chronology_entries(session, school_id, pupil_id, start, end):
    from .service import chronology

    return chronology(session, school_id, pupil_id, start, end)


@hookimpl
def mat_pupil_event(session, school_id, pupil_id, event, data):
    if event == "left":  # marks after the leaving date must stop counting
        from .store import rebuild_pupil

        rebuild_pupil(session, school_id, pupil_id)


@hookimpl
def mat_transfer_sections(session, school_id, pupil_id):
    from .service import transfer_section

    return [transfer_section(session, school_id, pupil_id)]


@hookimpl
def mat_metric_definitions():
    from .national import national_figures

    nat = national_figures()
    return [
        MetricDefinition(NAME, "attendance_pct", "Attendance", "%",
                         nat.get("attendance_pct", (None,))[0], True),
        MetricDefinition(NAME, "pa_pct", "Persistent absence", "%",
                         nat.get("pa_pct", (None,))[0], False),
        MetricDefinition(NAME, "sa_pct", "Severe absence", "%", None, False),
        MetricDefinition(NAME, "open_signals", "Open attendance signals", "", None, False),
    ]


@hookimpl
def mat_trust_metrics(session, school_id, start, end):
    from .service import trust_metrics

    return trust_metrics(session, school_id, start, end)


@hookimpl
def mat_recurring_jobs():
    from .jobs import nightly_analysis

    return [RecurringJob(NAME, "nightly_analysis", nightly_analysis, cron="30 1 * * *")]


@hookimpl
def mat_cli_commands(cli):
    from .cli import attendance

    cli.add_command(attendance)


@hookimpl
def mat_demo_data(session, trust_id, school_ids, seed):
    from .demo import seed_demo

    seed_demo(session, trust_id, school_ids, seed)
