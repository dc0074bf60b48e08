"""Attendance: register marks, absence measures and absence patterns as safeguarding signals.

Hook implementations only; each delegates to the module that holds the rules."""
from core import hookimpl
from core.contributions import BlueprintContribution, NavLink, RecurringJob
from plugins.attendance import models  # noqa: F401  (registers the tables)
from plugins.attendance.definition import INFO, NAME
# retention and subject access: the hook implementations live in retention.py
from plugins.attendance.retention import (  # noqa: F401
    mat_retention_destroy, mat_retention_record_types, mat_retention_records,
    mat_subject_access)


@hookimpl
def mat_plugin_info():
    return INFO


@hookimpl
def mat_blueprints():
    from .api import blp
    from .views import bp

    return [BlueprintContribution(NAME, bp), BlueprintContribution(NAME, blp, api=True)]


@hookimpl
def mat_nav_links(session, school_id, actor):
    from core.policy import can

    if not can(actor, "dashboard.view", school_id, session=session):
        return []  # the attendance dashboard is the DSL team's
    return [NavLink(NAME, "Attendance", "attendance.dashboard")]


@hookimpl
def mat_dashboard_panels(session, school_id, actor):
    """The school's attendance at a glance on the dashboard."""
    from plugins.attendance.panels import dashboard_panel

    panel = dashboard_panel(session, school_id, actor)
    return [panel] if panel else []


@hookimpl
def mat_pupil_panels(session, school_id, pupil_id, actor):
    """Weekly attendance bars on the pupil's page."""
    from plugins.attendance.panels import pupil_panel

    panel = pupil_panel(session, school_id, pupil_id, actor)
    return [panel] if panel else []


@hookimpl
def mat_chronology_entries(session, school_id, pupil_id, start, end):
    """The pupil's attendance signals in their chronology."""
    from plugins.attendance import service

    return service.chronology(session, school_id, pupil_id, start, end)


@hookimpl
def mat_pupil_event(session, school_id, pupil_id, event, data):
    """A pupil who left: marks after the leaving date must stop counting."""
    if event == "left":
        from plugins.attendance import service

        service.pupil_left(session, school_id, pupil_id)


@hookimpl
def mat_transfer_sections(session, school_id, pupil_id):
    """This and last year's attendance for the child's transfer file."""
    from plugins.attendance import service

    return [service.transfer_section(session, school_id, pupil_id)]


@hookimpl
def mat_metric_definitions():
    """The trust overview's attendance columns."""
    from plugins.attendance import service

    return service.metric_definitions()


@hookimpl
def mat_trust_metrics(session, school_id, start, end):
    """One school's attendance figures for the trust overview."""
    from plugins.attendance import service

    return service.trust_metrics(session, school_id, start, end)


@hookimpl
def mat_trust_metrics_many(session, school_ids, start, end):
    """Every school's attendance figures for the trust overview, in grouped statements."""
    from plugins.attendance import service

    return service.trust_metrics_many(session, school_ids, start, end)


@hookimpl
def mat_calendar_changed(session, school_id):
    """New term dates: the term spans whose totals are kept follow them."""
    from plugins.attendance import service

    service.calendar_changed(session, school_id)


@hookimpl
def mat_recurring_jobs():
    """The nightly look for absence patterns, school by school."""
    from plugins.attendance.jobs import nightly_analysis

    return [RecurringJob(NAME, "nightly_analysis", nightly_analysis, cron="30 1 * * *")]


@hookimpl
def mat_cli_commands(cli):
    """``mat attendance import``."""
    from plugins.attendance.cli import attendance

    cli.add_command(attendance)


@hookimpl
def mat_demo_data(session, trust_id, school_ids, seed):
    """Four weeks of register marks with a few patterns for the demo schools."""
    from plugins.attendance.demo import seed_demo

    seed_demo(session, trust_id, school_ids, seed)


@hookimpl
def mat_pupil_indicators(session, school_id, pupil_ids, since):
    """Recent figures per child, for the trust lead's families across schools."""
    from plugins.attendance.board import pupil_indicators

    return pupil_indicators(session, school_id, pupil_ids, since)


@hookimpl
def mat_report_figures(session, school_id, start, end):
    """The term's figures for the board report, as counts."""
    from plugins.attendance.board import report_figures

    return report_figures(session, school_id, start, end)


@hookimpl
def mat_indicators(session, school_id, start, end, pupil_ids):
    """Dated indicators for the converging-signals rules (plugins/attendance/indicators.py)."""
    from plugins.attendance.indicators import indicators

    return indicators(session, school_id, start, end, pupil_ids)
