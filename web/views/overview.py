"""The trust overview for the trust safeguarding lead: one row per school, the core's columns
and those plugins contribute (figures vanish for a school where a plugin is off), England's
figure where one is published, a chart, and a period picker (this term, this academic year,
or custom dates)."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, render_template, request
from flask_login import login_required
from sqlalchemy import select

from core.calendar import academic_year_bounds, academic_year_label, academic_year_start, \
    calendar_for, london_today
from core.models import School, Trust
from core.overview import trust_overview as build_overview
from core.policy import can
from web import charts, context
from web.views.forms import Form

bp = Blueprint("overview", __name__)
PERIODS = {"term": "This term", "year": "This academic year", "custom": "Custom dates"}
DEFAULT_CHART = "core.concerns_per_100"


def term_period(session, school_ids: list[int], today: dt.date) -> tuple[dt.date, dt.date, str]:
    """The term today falls in (from the first school whose calendar has one), else the
    latest term already started; else the academic year so far."""
    latest = None
    for sid in school_ids:
        cal = calendar_for(session, sid)
        term = cal.term_of(today)
        if term is not None:
            return term.start, term.end, term.name
        started = [t for t in cal.terms if t.start <= today]
        if started:
            last = max(started, key=lambda t: t.start)
            latest = last if latest is None or last.start > latest.start else latest
    if latest is not None:
        return latest.start, latest.end, latest.name
    start, _ = academic_year_bounds(academic_year_start(today))
    return start, today, "academic year so far"


@bp.route("/trust/overview")
@login_required
def trust_overview():
    a = context.actor()
    trusts = _overview_trusts(a)
    form = Form(request.args)
    trust_id = form.integer("trust") or trusts[0]
    if trust_id not in trusts:
        abort(404)
    s = context.db()
    school_ids = list(s.scalars(select(School.id).where(School.trust_id == trust_id)
                                .order_by(School.name)))
    period, start, end, label = _chosen_period(s, form, school_ids, london_today())
    ov = build_overview(s, a, trust_id, start, end)
    definitions = _column_order(ov.definitions)
    keys = [f"{d.plugin}.{d.key}" for d in definitions]
    chart_key, chart_def = _chosen_chart(definitions, keys)
    return render_template(
        "overview/overview.html", trust=s.get(Trust, trust_id),
        trusts=[s.get(Trust, t) for t in trusts],
        ov=ov, definitions=definitions, keys=keys, period=period, periods=PERIODS, label=label,
        form=form,
        chart=_school_chart(ov, chart_key, chart_def), chart_key=chart_key, chart_def=chart_def,
        has_national=any(d.national is not None for d in definitions)
    ), 422 if form.errors else 200


def _overview_trusts(actor) -> list[int]:
    """The trusts whose overview this person may read, in id order; 404 when none."""
    trusts = [t for t in sorted(actor.trust_roles) if can(actor, "trust.overview", trust_id=t)]
    if not trusts:
        abort(404)
    return trusts


def _requested_period(form: Form) -> tuple[str, dt.date | None, dt.date | None]:
    """The period asked for, and its dates when custom; a bad custom range is reported on the
    form and falls back to this term."""
    period = request.args.get("period", "term")
    if period not in PERIODS:
        return "term", None, None
    if period != "custom":
        return period, None, None
    start, end = form.date("start", required=True), form.date("end", required=True)
    if start and end and end < start:
        form.add_error("end", "must be on or after the start date")
    if form.errors:
        return "term", None, None
    return period, start, end


def _chosen_period(session, form: Form, school_ids: list[int],
                  today: dt.date) -> tuple[str, dt.date, dt.date, str]:
    """The period shown: its key, first and last day, and how the page names it."""
    period, start, end = _requested_period(form)
    if period == "term":
        start, end, label = term_period(session, school_ids, today)
    elif period == "year":
        start, end = academic_year_bounds(academic_year_start(today))
        label = f"academic year {academic_year_label(today)}"
    else:
        label = "custom dates"
    return period, start, end, label


def _column_order(definitions) -> list:
    """The core's columns first, then each plugin's together (pluggy answers last-registered
    first, which would push the core's to the far right)."""
    return sorted(definitions, key=lambda d: (d.plugin != "core", d.plugin))


def _chosen_chart(definitions, keys: list[str]):
    """The column charted (the one asked for if it is shown, else the first) and its
    definition."""
    chart_key = request.args.get("chart", DEFAULT_CHART)
    chart_key = chart_key if chart_key in keys else (keys[0] if keys else DEFAULT_CHART)
    chart_def = next((d for d in definitions if f"{d.plugin}.{d.key}" == chart_key), None)
    return chart_key, chart_def


def _school_chart(ov, chart_key: str, chart_def):
    """A bar per school for the charted column, England's figure as the threshold line."""
    if not ov.schools:
        return None
    title = f"{chart_def.label if chart_def else chart_key} by school"
    return charts.bar_chart(
        [charts.Point(sc.name, ov.cells[sc.id].get(chart_key)) for sc in ov.schools], title,
        unit="%" if chart_def and chart_def.unit == "%" else "",
        threshold=chart_def.national if chart_def else None)
