"""Core's own contributions, registered as the plugin ``core`` through the same hooks the
plugins use (as pytest does with its own behaviour)."""
from __future__ import annotations

from core.hookspecs import hookimpl
from core.signals import models as _signal_models  # noqa: F401  (registers its tables)


@hookimpl
def mat_chronology_entries(session, school_id, pupil_id, start, end):
    from core.chronology import core_entries
    from core.signals.service import chronology_entries

    return (core_entries(session, school_id, pupil_id, start, end)
            + chronology_entries(session, school_id, pupil_id, start, end))


@hookimpl
def mat_indicators(session, school_id, start, end, pupil_ids):
    """Concerns, safeguarding flags starting or ending (core.signals.indicators_core)."""
    from core.signals.indicators_core import core_indicators

    return core_indicators(session, school_id, start, end, pupil_ids)


@hookimpl
def mat_metric_definitions():
    from core.overview import CORE_METRICS

    return list(CORE_METRICS)


@hookimpl
def mat_trust_metrics(session, school_id, start, end):
    from core.overview import core_metrics

    return core_metrics(session, school_id, start, end)


@hookimpl
def mat_trust_metrics_many(session, school_ids, start, end):
    from core.overview import core_metrics_many

    return core_metrics_many(session, school_ids, start, end)


@hookimpl
def mat_transfer_sections(session, school_id, pupil_id):
    from core.chronology import core_transfer_sections

    return core_transfer_sections(session, school_id, pupil_id)


@hookimpl
def mat_register_actions():
    from core.default_actions import CORE_ACTIONS
    from core.signals.actions import SIGNAL_ACTIONS

    return list(CORE_ACTIONS) + list(SIGNAL_ACTIONS)


@hookimpl
def mat_recurring_jobs():
    """Each morning, owners are reminded of actions due that day or just overdue; each night
    the audit chains' heads are checkpointed outside the database and the converging-signals
    rules evaluated from each school's watermark."""
    from core.concern_actions import send_reminders
    from core.contributions import RecurringJob
    from core.plugins import CORE

    from core.audit import daily_checkpoint
    from core.mis.jobs import pick_up_folder
    from core.signals.evaluate import nightly as signals_nightly
    from core.family_suggestions import run_for_school

    return [RecurringJob(CORE, "action_reminders", send_reminders, cron="0 7 * * *"),
            RecurringJob(CORE, "audit_checkpoint", daily_checkpoint, cron="45 23 * * *"),
            # files the MIS drops in the school's folder (core.mis.folder), every 15 minutes
            RecurringJob(CORE, "mis_drop_folder", pick_up_folder, cron="*/15 * * * *"),
            RecurringJob(CORE, "converging_signals", signals_nightly, cron="0 3 * * *"),
            # each night, after the evening's MIS exports: pupils who may be family
            RecurringJob(CORE, "family_suggestions", run_for_school, cron="30 2 * * *")]
