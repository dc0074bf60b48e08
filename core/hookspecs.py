"""Every hook of the platform, declared in one place.

A plugin implements any of these with ``from core import hookimpl``. Hooks that concern one
school are never called as ``pm.hook.<name>`` but through
:meth:`core.plugins.PluginHost.call_for_school`, which leaves out the plugins switched off for
that school. The small result types (``Panel``, ``Metric``...) live in :mod:`core.contributions`.

Each docstring says when the hook is called, with what, and what it returns, and ends with an
example taken from a built-in plugin. The hook reference (docs/hooks.md) is generated from
this module by :mod:`core.hookdoc`: run ``python -m core.hookdoc`` after changing a hook.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # annotations only: this module imports nothing of the platform at run time
    import datetime as dt

    import click
    from sqlalchemy.orm import Session

    from core.contributions import (Action, BlueprintContribution, ChronologyItem, Metric,
                                    MetricDefinition, NavLink, ObjectCheck, Panel, PluginInfo,
                                    PupilIndicator, ReportFigure,
                                    RecurringJob, TransferSection)
    from core.plugin_records import HeldRecords, RecordType, SubjectAccessSection
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

    Example (attendance: ``definition.py`` holds the description, ``__init__.py`` the hook)::

        NAME = "attendance"
        INFO = PluginInfo(
            name=NAME,
            label="Attendance",
            description="Register marks, absence measures, and absence patterns as "
                        "safeguarding signals.",
        )

        @hookimpl
        def mat_plugin_info():
            return INFO
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

    A school action is granted by a role in the school or a role in its trust; a trust action
    (``trust_level=True``) only by ``trust_roles`` in that trust. An ``ObjectCheck`` is
    consulted after the roles refuse, only after the second-factor rule, and only when the
    caller passes ``session=`` to ``can``/``require`` (and ``obj=``, the record asked about,
    where there is one); a plugin may add checks only to its own actions. Ask with
    ``can(actor, "encompass.read", school_id, session=session)``; an action no plugin
    registered raises ``KeyError`` naming it.

    Example (encompass: the DSL team, or a key adult of the school, with a second factor)::

        DSL_TEAM = frozenset({"dsl", "deputy_dsl"})  # school roles only: trust roles never count


        def _key_adult_of_school(session, actor, school_id, obj) -> bool:
            from .key_adults import is_key_adult

            return is_key_adult(session, actor, school_id, obj)


        ACTIONS = [
            Action(NAME, "encompass.read", DSL_TEAM, mfa=True,
                   description="Read the school's notifications and record the key adult's "
                               "response"),
            ObjectCheck(NAME, "encompass.read", _key_adult_of_school,
                        description="A key adult of the school who still holds a role there"),
            Action(NAME, "encompass.manage", DSL_TEAM, mfa=True,
                   description="Match notifications, the DSL's steps, and the key adults list"),
        ]

        @hookimpl
        def mat_register_actions():
            return list(ACTIONS)
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

    Example (attendance: its pages and its API)::

        @hookimpl
        def mat_blueprints():
            from .api import blp
            from .views import bp

            return [BlueprintContribution(NAME, bp), BlueprintContribution(NAME, blp, api=True)]

    Example (encompass: a police intake API routed by the school named in its body, with client
    credentials of its own)::

        @hookimpl
        def mat_blueprints():
            from .api import blp
            from .views import bp

            return [BlueprintContribution(NAME, bp),
                    BlueprintContribution(NAME, blp, api=True, checks_school_itself=True,
                                          authenticates_itself=True)]
    """


@hookspec
def mat_cli_commands(cli: click.Group) -> None:
    """Add click commands to the ``mat`` command group ``cli``: called once at CLI start.

    Example (attendance: ``mat attendance import SCHOOL_ID FILE``, a group of its own)::

        @click.group()
        def attendance() -> None:
            \"\"\"Register marks: import files, analyse for signals.\"\"\"

        @hookimpl
        def mat_cli_commands(cli):
            from .cli import attendance

            cli.add_command(attendance)
    """


@hookspec
def mat_recurring_jobs() -> list[RecurringJob]:
    """Declare recurring work: called when the RQ cron scheduler starts (``mat scheduler``).

    Returns a list of :class:`core.contributions.RecurringJob`; each job has a stable name so
    registering twice is harmless. Its ``func`` is a module-level function taking
    ``school_id``, called once per school that has the plugin on; ``cron`` is read in
    Europe/London time.

    Example (attendance: the nightly look for absence patterns)::

        @hookimpl
        def mat_recurring_jobs():
            from .jobs import nightly_analysis

            return [RecurringJob(NAME, "nightly_analysis", nightly_analysis, cron="30 1 * * *")]
    """


@hookspec
def mat_nav_links(session: Session, school_id: int, actor: Actor) -> list[NavLink]:
    """Contribute links to a school's navigation: called per school page render (school-scoped),
    only for someone the policy lets see the school (``school.view``).

    ``session`` is the tenant-scoped session, ``actor`` the :class:`core.policy.Actor` viewing
    the page. Returns a list of :class:`core.contributions.NavLink`, and only the links whose
    page the policy allows this actor (ask ``core.policy.can(actor, <the page's action>,
    school_id, session=session)``): a link to a page that would answer 404 is not shown.

    Example (attendance: its dashboard is the DSL team's)::

        @hookimpl
        def mat_nav_links(session, school_id, actor):
            from core.policy import can

            if not can(actor, "dashboard.view", school_id, session=session):
                return []
            return [NavLink(NAME, "Attendance", "attendance.dashboard")]
    """


# --- school pages ---------------------------------------------------------------------------

@hookspec
def mat_dashboard_panels(session: Session, school_id: int, actor: Actor) -> list[Panel]:
    """Contribute panels to a school's DSL dashboard (school-scoped).

    ``session`` is a tenant-scoped SQLAlchemy session, ``actor`` the :class:`core.policy.Actor`
    viewing it. Returns a list of :class:`core.contributions.Panel` (already-escaped HTML,
    placed by ``order``), or none for someone the plugin shows nothing.

    Example (attendance: the hook delegates to ``panels.py``, which renders the plugin's own
    template)::

        @hookimpl
        def mat_dashboard_panels(session, school_id, actor):
            from .panels import dashboard_panel

            panel = dashboard_panel(session, school_id, actor)
            return [panel] if panel else []

        def dashboard_panel(session, school_id: int, actor) -> Panel | None:
            if not can(actor, "dashboard.view", school_id):
                return None
            start, end = service.year_to_date()
            m = service.school_measures(session, school_id, start, end)
            html = render_template("attendance/_dashboard_panel.html", m=m, school_id=school_id,
                                   signals=service.open_signals(session, school_id, limit=5))
            return Panel(NAME, "Attendance", html, order=30)
    """


@hookspec
def mat_pupil_panels(session: Session, school_id: int, pupil_id: int,
                     actor: Actor) -> list[Panel]:
    """Contribute panels to a pupil's page (school-scoped).

    Returns a list of :class:`core.contributions.Panel`. The page is seen by more people than
    the case file: a panel with case-file content asks the policy first and, for anyone else,
    is left out (its absence tells them nothing).

    Example (attendance: weekly attendance bars, for those who may read case files)::

        @hookimpl
        def mat_pupil_panels(session, school_id, pupil_id, actor):
            from .panels import pupil_panel

            panel = pupil_panel(session, school_id, pupil_id, actor)  # None unless casefile.read
            return [panel] if panel else []
    """


@hookspec
def mat_chronology_entries(session: Session, school_id: int, pupil_id: int,
                           start: dt.date | None, end: dt.date | None) -> list[ChronologyItem]:
    """Contribute entries to a pupil's chronology (school-scoped).

    ``start`` and ``end`` are ``datetime.date`` or ``None`` (open range). Returns a list of
    :class:`core.contributions.ChronologyItem` (``at`` an aware datetime); the core merges and
    sorts them with its own.

    Example (attendance: the pupil's absence signals, from ``service.py``)::

        @hookimpl
        def mat_chronology_entries(session, school_id, pupil_id, start, end):
            from . import service

            return service.chronology(session, school_id, pupil_id, start, end)

        def chronology(session, school_id, pupil_id, start, end) -> list:
            stmt = select(Signal).where(Signal.school_id == school_id, Signal.pupil_id == pupil_id)
            if start:
                stmt = stmt.where(Signal.last_date >= start)
            if end:
                stmt = stmt.where(Signal.first_date <= end)
            return [ChronologyItem(NAME, f"{NAME}.{s.kind}",
                                   dt.datetime.combine(s.first_date, dt.time(9), LONDON), s.title,
                                   s.detail, signals.concern_link(school_id, pupil_id))
                    for s in session.scalars(stmt)]
    """


# --- domain events --------------------------------------------------------------------------

@hookspec
def mat_concern_recorded(session: Session, school_id: int, concern_id: int) -> None:
    """React to a newly recorded concern (school-scoped), inside the recording transaction:
    raising undoes the concern, so anything slow or outward goes to a job.

    Example (no built-in plugin answers this hook yet; one that tells someone outside the
    school hands it to a job that runs only if the concern is committed)::

        @hookimpl
        def mat_concern_recorded(session, school_id, concern_id):
            from core.jobs import enqueue_after_commit
            from myplugin import jobs

            enqueue_after_commit(session, jobs.tell_the_service, concern_id,
                                 school_id=school_id, plugin="myplugin")
    """


@hookspec
def mat_concern_entry_added(session: Session, school_id: int, concern_id: int,
                            entry_id: int) -> None:
    """React to a DSL entry (triage, referral, closure...) on a concern (school-scoped), inside
    the entry's transaction: raising refuses the entry.

    Example (transition: once the receiving school accepted the file, the sender's copy takes
    no new entries)::

        @hookimpl
        def mat_concern_entry_added(session, school_id, concern_id, entry_id):
            from . import service

            service.refuse_entries_after_handover(session, school_id, concern_id)
    """


@hookspec
def mat_pupil_event(session: Session, school_id: int, pupil_id: int, event: str,
                    data: dict[str, Any]) -> None:
    """React to a pupil event (school-scoped): ``event`` is one of ``created``, ``left``,
    ``updated``, ``flag_changed``, ``transferred_in``; ``data`` carries event details
    (JSON-able). For ``left``: ``date`` (ISO), ``reason``, ``destination_urn`` (or None) and
    ``destination_unknown`` (True when the school does not know where the pupil went); for
    ``updated``: ``fields``, the names of the details that changed.

    Example (attendance: marks after the leaving date stop counting)::

        @hookimpl
        def mat_pupil_event(session, school_id, pupil_id, event, data):
            if event == "left":
                from . import service

                service.pupil_left(session, school_id, pupil_id)

    Example (transition: a pupil who left for a known school starts the file's transfer)::

        def on_pupil_event(session, school_id, pupil_id, event, data) -> None:
            if event == "left" and data.get("destination_urn"):
                open_transfer(session, school_id, pupil_id, data["destination_urn"],
                              dt.date.fromisoformat(data["date"]))
    """


@hookspec
def mat_calendar_changed(session: Session, school_id: int) -> None:
    """React to a change in a school's calendar (school-scoped): terms added or a day (or
    one session) marked closed, inside the transaction that saved it, after the change is
    flushed, so ``core.calendar.calendar_for`` already reads the new calendar; raising
    refuses the change. A plugin that stored a deadline counted in school days counts it
    again here (history it was already judged against stays as it was).

    Example (Operation Encompass: open notifications' deadlines are counted again, and one
    that waited for the next term to be entered gets its deadline)::

        @hookimpl
        def mat_calendar_changed(session, school_id):
            from . import deadlines

            deadlines.recount_deadlines(session, school_id)
    """


# --- converging signals -----------------------------------------------------------------------

@hookspec
def mat_indicators(session: Session, school_id: int, start: dt.date, end: dt.date,
                   pupil_ids: list[int] | None = None) -> list[Indicator]:
    """Contribute dated indicators about the school's pupils for the converging-signals rules
    (school-scoped: a plugin off for the school contributes nothing there). Called by the
    nightly evaluation, the replay command and a pupil's page.

    ``start``/``end`` bound the indicators' dates (``datetime.date``, both included);
    ``pupil_ids`` limits the answer to those pupils (``None``: every pupil of the school).
    ``session`` may be a system session: answer for ``school_id`` only. Returns a list of
    :class:`core.contributions.Indicator` (pupil, school, kind namespaced by the plugin, date,
    source, a label a DSL reads, a link, and a stable ``ref`` of the record behind it). Keep
    it to signs worth putting beside others: a rule reads every one. (``mat_pupil_indicators``
    answers a different question, a few recent figures per child for the trust lead's family
    view; this hook gives each dated event, which the rules need to see order and nearness.)

    Example (Operation Encompass: each notification matched to a pupil)::

        @hookimpl
        def mat_indicators(session, school_id, start, end, pupil_ids):
            from .indicators import indicators

            return indicators(session, school_id, start, end, pupil_ids)

        def indicators(session, school_id, start, end, pupil_ids=None) -> list[Indicator]:
            rows = matched_notifications(session, school_id, start, end, pupil_ids)
            return [Indicator(pid, school_id, "encompass.notification", day, NAME,
                              "Police notification (Operation Encompass)",
                              f"/schools/{school_id}/encompass/notifications/{nid}", str(nid))
                    for pid, nid, day in rows]
    """


# --- transfer of the child-protection file --------------------------------------------------

@hookspec
def mat_transfer_sections(session: Session, school_id: int,
                          pupil_id: int) -> list[TransferSection]:
    """Contribute sections to a pupil's transfer package (school-scoped, sending school).

    Returns a list of :class:`core.contributions.TransferSection` whose ``data`` is JSON-able,
    so the package can be frozen and hashed; ``text`` is the one-line summary people read.

    Example (attendance: this and last academic year's attendance, and recent signals)::

        @hookimpl
        def mat_transfer_sections(session, school_id, pupil_id):
            from . import service

            return [service.transfer_section(session, school_id, pupil_id)]

        def transfer_section(session, school_id, pupil_id, today=None) -> TransferSection:
            ...  # years: each year's dates, attendance %, absence flags; sigs: recent signals
            return TransferSection(NAME, "Attendance", {**years, "signals": sigs}, text)
    """


# --- trust overview -------------------------------------------------------------------------

@hookspec
def mat_metric_definitions() -> list[MetricDefinition]:
    """Declare the trust-overview columns a plugin provides: called once per overview.

    Returns a list of :class:`core.contributions.MetricDefinition`; ``national`` is England's
    published figure where there is one, drawn beside the school's. ``higher_is_better`` is
    the direction the overview judges a figure by against the trust median and England
    (``None``: neither way is better); ``yes_no`` marks a 1/0 figure shown as *Yes*/*No*;
    ``base`` names the row's figure a percentage is taken over (``"core.pupils"``), so an
    export withholds it for a school with too few pupils (a "per 100" figure is over pupils
    already).

    Example (attendance: its four columns, from ``service.py``)::

        @hookimpl
        def mat_metric_definitions():
            from . import service

            return service.metric_definitions()

        def metric_definitions() -> list[MetricDefinition]:
            nat = national_figures()
            return [
                MetricDefinition(NAME, "attendance_pct", "Attendance", "%",
                                 nat.get("attendance_pct", (None,))[0], True,
                                 base="core.pupils"),
                MetricDefinition(NAME, "pa_pct", "Persistent absence", "%",
                                 nat.get("pa_pct", (None,))[0], False, base="core.pupils"),
                MetricDefinition(NAME, "sa_pct", "Severe absence", "%", None, False,
                                 base="core.pupils"),
                MetricDefinition(NAME, "open_signals", "Open attendance signals", "", None,
                                 False),
            ]
    """


@hookspec
def mat_trust_metrics(session: Session, school_id: int, start: dt.date,
                      end: dt.date) -> list[Metric]:
    """Contribute one school's figures to the trust overview (school-scoped).

    ``start``/``end`` bound the period (``datetime.date``). Returns a list of
    :class:`core.contributions.Metric`, one per column the plugin declared; a plugin off for
    the school is not called, so its figures vanish from that school's row.

    Example (attendance: one figure per column, from ``service.py``)::

        @hookimpl
        def mat_trust_metrics(session, school_id, start, end):
            from . import service

            return service.trust_metrics(session, school_id, start, end)

        def trust_metrics(session, school_id, start, end) -> list:
            m = group_measures(session, school_id, start, end)
            n_open = open_signal_count(session, school_id)
            return [Metric(NAME, school_id, "attendance_pct", m.totals.attendance_pct),
                    Metric(NAME, school_id, "pa_pct", m.pa_pct),
                    Metric(NAME, school_id, "sa_pct", m.sa_pct),
                    Metric(NAME, school_id, "open_signals", n_open)]
    """


@hookspec
def mat_trust_metrics_many(session: Session, school_ids: list[int], start: dt.date,
                           end: dt.date) -> list[Metric]:
    """Contribute many schools' figures to the trust overview at once (school-scoped).

    The trust-wide form of :func:`mat_trust_metrics`, so a trust of fifty schools costs a
    plugin a few grouped queries rather than a few per school. ``school_ids`` are the trust's
    schools where the plugin is switched on (never one where it is off); ``start``/``end``
    bound the period. Returns a list of :class:`core.contributions.Metric`, one per school
    and column, with the values ``mat_trust_metrics`` gives school by school; a figure for a
    school not in ``school_ids`` is dropped. A plugin that does not implement this hook is
    asked school by school through ``mat_trust_metrics`` instead.

    Example (attendance: one grouped statement for every school's absence figures)::

        @hookimpl
        def mat_trust_metrics_many(session, school_ids, start, end):
            from . import service

            return service.trust_metrics_many(session, school_ids, start, end)

        def trust_metrics_many(session, school_ids, start, end) -> list:
            totals = school_totals(session, school_ids, start, end)  # GROUP BY school_id
            opened = open_signal_counts(session, school_ids)
            return [Metric(NAME, sid, key, value) for sid in school_ids
                    for key, value in figures(totals.get(sid), opened.get(sid, 0)).items()]
    """


# --- the trust lead's workspace: families across schools, the board report -----------------

@hookspec
def mat_pupil_indicators(session: Session, school_id: int, pupil_ids: list[int],
                         since: dt.date) -> list[PupilIndicator]:
    """Contribute recent indicators for some of one school's pupils (school-scoped), for the
    trust lead's view of families whose children attend several schools.

    ``pupil_ids`` are pupils of ``school_id`` (a family's children there, a handful);
    ``since`` is a ``datetime.date``: count what happened from that day. Returns a list of
    :class:`core.contributions.PupilIndicator`, at most one per pupil and key; a pupil the
    plugin knows nothing about may be left out.

    Example (encompass: notifications received for each child since the date)::

        @hookimpl
        def mat_pupil_indicators(session, school_id, pupil_ids, since):
            from .board import pupil_indicators

            return pupil_indicators(session, school_id, pupil_ids, since)

        def pupil_indicators(session, school_id, pupil_ids, since) -> list:
            counts = ...  # notifications naming each pupil received since the date, grouped
            return [PupilIndicator(NAME, pid, "notifications", "Encompass notifications",
                                   counts.get(pid, 0)) for pid in pupil_ids]
    """


@hookspec
def mat_report_figures(session: Session, school_id: int, start: dt.date,
                       end: dt.date) -> list[ReportFigure]:
    """Contribute one school's figures to the termly board report (school-scoped): counts,
    and rates as a count and what it is out of, so the report can hold back small numbers
    (:mod:`core.suppression`) rather than print a percentage of two children.

    ``start``/``end`` bound the term (``datetime.date``). Returns a list of
    :class:`core.contributions.ReportFigure`; ``about_children=False`` for figures about
    staff (training), which the small-number rule leaves as they are.

    Example (transition: child-protection files sent by their deadline)::

        @hookimpl
        def mat_report_figures(session, school_id, start, end):
            from .board import report_figures

            return report_figures(session, school_id, start, end)

        def report_figures(session, school_id, start, end) -> list:
            judged, on_time = ...  # transfers due in the term, and those sent by the deadline
            return [ReportFigure(NAME, school_id, "sent_on_time", "Files sent on time",
                                 on_time, judged)]
    """


# --- the roll from the school's MIS ---------------------------------------------------------

@hookspec
def mat_mis_sources(session: Session, school_id: int) -> list[Any]:
    """Offer a school's pupils from an MIS source other than a file (an aggregator's API, a
    vendor's API): school-scoped, called when someone imports from a source (``mat pupils
    import --source NAME``, the API's ``source``) or lists the sources a school has.

    Returns a list of :class:`core.mis.sources.MisSource` (``plugin``, ``name``, ``label``,
    ``fetch``, ``full``). ``fetch(session, school_id)`` returns the pupils as
    :class:`core.mis.rows.RawRow` objects, the same shape a CTF or CSV gives: ``where`` (how
    a problem names the record, e.g. ``record 12``), ``values`` (text keyed by the fields of
    :data:`core.mis.rows.FIELDS`, dates ``YYYY-MM-DD``; a field the source does not carry is
    left out and then never changed) and ``carers`` (dicts keyed by
    :data:`core.mis.rows.CARER_FIELDS`, or ``None`` when the source carries no contacts).
    The rows are checked, matched, previewed and committed exactly as a file's are; ``full``
    says the source lists the whole roll (pupils it leaves out become "left?").

    Example (a connector for an MIS aggregator's API)::

        @hookimpl
        def mat_mis_sources(session, school_id):
            from core.mis.sources import MisSource

            return [MisSource("aggregator", "aggregator", "Our aggregator", fetch_pupils)]

        def fetch_pupils(session, school_id):
            from core.mis.rows import RawRow

            for n, p in enumerate(client_for(session, school_id).students(), start=1):
                yield RawRow(f"record {n}", {"upn": p["upn"], "mis_id": p["id"],
                                             "first_name": p["forename"],
                                             "last_name": p["surname"],
                                             "date_of_birth": p["dob"],
                                             "year_group": p["year"]}, carers=None)
    """


# --- retention and subject access ------------------------------------------------------------

@hookspec
def mat_retention_record_types() -> list[RecordType]:
    """Declare the kinds of record the plugin keeps and how long each is kept by default.

    Called when the retention rules are read (the DSL team's Retention page, the trust's
    rules, the API); not school-scoped. Returns :class:`core.plugin_records.RecordType` items
    whose ``key`` is ``<plugin>.<name>``: a trust may change the years, never below ``floor``
    nor above 120. ``source`` names where the default comes from (the IRMS toolkit), or says
    where the period is the platform's own reading.

    Example (attendance: registers kept three years from the week they record; in
    ``plugins/attendance/retention.py``, whose hook functions the package imports)::

        @hookimpl
        def mat_retention_record_types():
            return [RecordType(NAME, "attendance.registers", "Attendance registers",
                               "each week's register marks of the pupil", 3, 3, SOURCE,
                               "the last day of the register's week")]
    """


@hookspec
def mat_retention_records(session: Session, school_id: int, years: dict[str, int],
                          today: dt.date, pupil_ids: list[int] | None) -> list[HeldRecords]:
    """Say which of the plugin's records the school holds, and when they are due for review
    (school-scoped: a plugin switched off for the school is not asked).

    ``years`` are the trust's years per record type (its setting over the defaults);
    ``pupil_ids`` limits the answer to those pupils (``None``: every record of the school,
    staff records included). Returns one :class:`core.plugin_records.HeldRecords` per record
    type and person: the earliest review date among them, how many are due by ``today`` and
    how many are held. Records about a pupil join that pupil's line on the "due for review"
    list; records about staff are listed apart.

    Example (training: a leaver's records, due six years after they left)::

        @hookimpl
        def mat_retention_records(session, school_id, years, today, pupil_ids):
            if pupil_ids is not None:
                return []  # nothing of a pupil's
            out = []
            for sid, name, left, count in session.execute(...):  # leavers with records
                day = review_date(left, years[RECORDS])
                out.append(HeldRecords(NAME, RECORDS, f"staff:{sid}", name, day,
                                       count if day <= today else 0, count))
            return out
    """


@hookspec
def mat_retention_destroy(session: Session, school_id: int, record_type: str, subject: str,
                          years: dict[str, int], today: dt.date) -> dict | None:
    """Remove the content of the plugin's records of ``record_type`` about ``subject``
    (``pupil:<id>`` or ``staff:<id>``) that are due by ``today`` (school-scoped).

    Called by :func:`core.plugin_records.destroy` once it has checked the person may destroy,
    the reason, the legal hold and that something is due. A plugin that does not own
    ``record_type`` returns ``None``; the owner removes the content (rows may stay, emptied,
    where other records point at them) and returns a JSON-able summary of what went, which the
    tombstone and the audit entry keep.

    Example (training: a leaver's training records, six years after they left)::

        @hookimpl
        def mat_retention_destroy(session, school_id, record_type, subject, years, today):
            if record_type != RECORDS:
                return None
            staff_id = int(subject.split(":", 1)[1])
            gone = session.execute(delete(TrainingRecord).where(
                TrainingRecord.school_id == school_id, TrainingRecord.staff_id == staff_id)
            ).rowcount
            return {"training_records": gone}
    """


@hookspec
def mat_subject_access(session: Session, school_id: int,
                       pupil_id: int) -> list[SubjectAccessSection]:
    """Contribute the plugin's records about a pupil to a subject access export
    (school-scoped; the caller has checked ``sar.export`` and audits the export).

    Returns :class:`core.plugin_records.SubjectAccessSection` items, each a titled list of
    :class:`core.plugin_records.SubjectAccessItem`: a key (``<plugin>:<kind>:<id>``) the DSL
    team may tick to withhold it, a date, a title, the text, and the third parties it names
    (whose names the redaction step replaces wherever they are written).

    Example (transition: each file received about the pupil, as it arrived)::

        @hookimpl
        def mat_subject_access(session, school_id, pupil_id):
            items = [SubjectAccessItem(f"transition:received:{f.id}", f.received_at,
                                       f"Child-protection file received from {f.sender_name}",
                                       f.content)
                     for f in session.scalars(select(ReceivedFile).where(
                         ReceivedFile.school_id == school_id,
                         ReceivedFile.pupil_id == pupil_id))]
            return [SubjectAccessSection(NAME, "Transfers of the child-protection file", items)]
    """


# --- demo data ------------------------------------------------------------------------------

@hookspec
def mat_demo_data(session: Session, trust_id: int, school_ids: list[int], seed: int) -> None:
    """Seed realistic demo data for this plugin: called by ``mat demo`` after the core data.

    ``session`` is unscoped (system); ``seed`` makes the data reproducible.

    Example (attendance: four weeks of register marks with a few patterns)::

        @hookimpl
        def mat_demo_data(session, trust_id, school_ids, seed):
            from .demo import seed_demo

            seed_demo(session, trust_id, school_ids, seed)  # random.Random(seed) inside
    """
