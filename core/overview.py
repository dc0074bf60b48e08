"""The trust overview: one row per school, columns from the core and from plugins.

Figures are asked for trust-wide: each plugin that implements ``mat_trust_metrics_many`` is
called once with the schools where it is on and answers with a few grouped queries; a plugin
that only implements ``mat_trust_metrics`` is called school by school, for the schools where
it is on. A plugin off for a school is never asked about it, so its cells there are empty.
The core's own figures are grouped queries too, so the statements per overview do not grow
with the number of schools."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from core import audit
from core.calendar import LONDON, london_today
from core.concern_search import status_column
from core.contributions import Metric, MetricDefinition
from core.models import Concern, ConcernEntry, PluginSetting, Pupil, School
from core.plugins import CORE, PluginHost, current_host
from core.policy import Actor, require

CORE_METRICS = (
    MetricDefinition("core", "pupils", "Pupils on roll", "", None, None),
    MetricDefinition("core", "concerns_per_100", "Concerns per 100 pupils", "per 100"),
    MetricDefinition("core", "awaiting_triage", "Awaiting triage", "", None, False),
    MetricDefinition("core", "open_cases", "Open cases", ""),
    MetricDefinition("core", "overdue_actions", "Overdue actions", "", None, False),
)
MANY = "mat_trust_metrics_many"
ONE = "mat_trust_metrics"


def pupils_on_roll(session: Session, school_id: int, start: dt.date, end: dt.date) -> int:
    """Pupils on a school's roll at any time between ``start`` and ``end``."""
    return pupils_on_roll_many(session, [school_id], start, end).get(school_id, 0)


def pupils_on_roll_many(session: Session, school_ids: list[int], start: dt.date,
                        end: dt.date) -> dict[int, int]:
    """Pupils on each school's roll at any time between ``start`` and ``end`` (one grouped
    query; a school with none is left out)."""
    if not school_ids:
        return {}
    return dict(session.execute(select(Pupil.school_id, func.count()).where(
        Pupil.school_id.in_(school_ids), Pupil.on_roll_from <= end,
        or_(Pupil.on_roll_to.is_(None), Pupil.on_roll_to >= start))
        .group_by(Pupil.school_id)).all())


def _concerns_recorded(session: Session, school_ids: list[int], start: dt.date,
                       end: dt.date) -> dict[int, int]:
    lo = dt.datetime.combine(start, dt.time.min, LONDON)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, LONDON)
    return dict(session.execute(select(Concern.school_id, func.count()).where(
        Concern.school_id.in_(school_ids), Concern.recorded_at >= lo, Concern.recorded_at < hi)
        .group_by(Concern.school_id)).all())


def _statuses(session: Session, school_ids: list[int]) -> dict[int, dict[str, int]]:
    """Concerns awaiting triage, open and closed per school, by the concern list's own rule
    (:func:`core.concern_search.status_column`)."""
    state = status_column()
    out: dict[int, dict[str, int]] = {}
    for sid, st, n in session.execute(select(Concern.school_id, state, func.count()).where(
            Concern.school_id.in_(school_ids)).group_by(Concern.school_id, state)):
        out.setdefault(sid, {})[st] = n
    return out


def _overdue(session: Session, school_ids: list[int], today: dt.date) -> dict[int, int]:
    """Actions past their due date with no ``action_done`` entry, per school (as
    :func:`core.concerns.overdue_actions` lists them for one school)."""
    done = aliased(ConcernEntry)
    return dict(session.execute(select(ConcernEntry.school_id, func.count()).where(
        ConcernEntry.school_id.in_(school_ids), ConcernEntry.kind == "action",
        ConcernEntry.due_date < today,
        ~exists().where(and_(done.kind == "action_done", done.refers_to_id == ConcernEntry.id,
                             done.school_id == ConcernEntry.school_id)))
        .group_by(ConcernEntry.school_id)).all())


def core_metrics_many(session: Session, school_ids: list[int], start: dt.date, end: dt.date,
                      today: dt.date | None = None) -> list[Metric]:
    """The core's columns for many schools: four grouped queries whatever their number."""
    if not school_ids:
        return []
    pupils = pupils_on_roll_many(session, school_ids, start, end)
    recorded = _concerns_recorded(session, school_ids, start, end)
    statuses = _statuses(session, school_ids)
    overdue = _overdue(session, school_ids, today or london_today())
    out = []
    for sid in school_ids:
        n_pupils, counts = pupils.get(sid, 0), statuses.get(sid, {})
        waiting = counts.get("awaiting_triage", 0)
        out += [
            Metric(CORE, sid, "pupils", n_pupils),
            Metric(CORE, sid, "concerns_per_100",
                   round(100 * recorded.get(sid, 0) / n_pupils, 1) if n_pupils else None),
            Metric(CORE, sid, "awaiting_triage", waiting),
            Metric(CORE, sid, "open_cases", waiting + counts.get("open", 0)),
            Metric(CORE, sid, "overdue_actions", overdue.get(sid, 0)),
        ]
    return out


def core_metrics(session: Session, school_id: int, start: dt.date, end: dt.date) -> list[Metric]:
    """The core's columns for one school."""
    return core_metrics_many(session, [school_id], start, end)


@dataclass
class Overview:
    definitions: list[MetricDefinition]
    schools: list[School]
    cells: dict[int, dict[str, float | None]]  # school_id -> "plugin.key" -> value
    start: dt.date
    end: dt.date


def enabled_by_school(session: Session, host: PluginHost, school_ids: list[int]
                      ) -> dict[int, set[str]]:
    """The plugins on in each school (one query for them all); the core is on everywhere."""
    on: dict[int, set[str]] = {sid: {CORE} for sid in school_ids}
    if school_ids:
        for sid, name in session.execute(select(PluginSetting.school_id, PluginSetting.plugin)
                                         .where(PluginSetting.school_id.in_(school_ids),
                                                PluginSetting.enabled.is_(True))):
            if name in host.names:
                on[sid].add(name)
    return on


def _only(host: PluginHost, name: str, hook: str):
    """``hook`` as answered by the one plugin ``name`` (pluggy does not say who answered)."""
    keep = host.pm.get_plugin(name)
    return host.pm.subset_hook_caller(hook, remove_plugins=[
        p for p in host.pm.get_plugins() if p is not keep])


def _flat(results) -> list:
    out: list = []
    for r in results:
        if isinstance(r, (list, tuple)):
            out.extend(r)
        elif r is not None:
            out.append(r)
    return out


def collect_metrics(session: Session, host: PluginHost, school_ids: list[int], start: dt.date,
                    end: dt.date) -> dict[int, dict[str, float | None]]:
    """``school_id -> "plugin.key" -> value`` for the schools, each plugin asked only about
    the schools where it is on: once for them all where it implements the trust-wide hook,
    else school by school. A figure a plugin gives for a school it was not asked about is
    dropped."""
    on = enabled_by_school(session, host, school_ids)
    cells: dict[int, dict[str, float | None]] = {sid: {} for sid in school_ids}
    many = {impl.plugin_name for impl in host.pm.subset_hook_caller(MANY, []).get_hookimpls()}
    for name in [CORE, *host.names]:
        where = [sid for sid in school_ids if name in on[sid]]
        if not where:
            continue
        if name in many:
            metrics = _flat(_only(host, name, MANY)(session=session, school_ids=where,
                                                    start=start, end=end))
        else:
            one = _only(host, name, ONE)
            metrics = [m for sid in where for m in _flat(
                one(session=session, school_id=sid, start=start, end=end))
                if m.school_id == sid]
        asked = set(where)
        for m in metrics:
            if m.school_id in asked:
                cells[m.school_id][f"{m.plugin}.{m.key}"] = m.value
    return cells


def trust_overview(session: Session, actor: Actor, trust_id: int, start: dt.date,
                   end: dt.date) -> Overview:
    """Every school of the trust with every metric for the period (trust lead only)."""
    require(actor, "trust.overview", trust_id=trust_id)
    host = current_host()
    schools = list(session.scalars(select(School).where(School.trust_id == trust_id)
                                   .order_by(School.name)))
    cells = collect_metrics(session, host, [s.id for s in schools], start, end)
    used = set().union(*[set(c) for c in cells.values()]) if cells else set()
    definitions = [d for d in host.call_global("mat_metric_definitions")
                   if d.plugin == "core" or f"{d.plugin}.{d.key}" in used]
    audit.record(session, "trust.overview_read", actor=actor, object_type="trust", object_id=trust_id,
                 trust_id=trust_id, detail={"start": start, "end": end})
    return Overview(definitions, schools, cells, start, end)
