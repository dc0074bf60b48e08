"""The trust overview for the trust safeguarding lead: one row per school, the core's columns
and those plugins contribute (figures vanish for a school where a plugin is off), grouped by
area and chosen by the lead (remembered in a cookie per person), each figure against the trust
median and England's figure, a sparkline of the last six terms of the charted column, sorting
by any column through the query string, a chart with England's line, and a period picker
(this term, this academic year, or custom dates)."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from flask import abort, make_response, render_template, request
from flask_login import login_required
from sqlalchemy import select

from core.calendar import academic_year_bounds, academic_year_label, academic_year_start, \
    calendar_for, london_today
from core.models import School, Trust
from core.overview import trust_overview as build_overview
from core.policy import can
from core.trends import recent_terms, trust_trend
from web import charts, context
from web.pages import source_label
from web.views.forms import Form
from web.views.overview import bp
from web.views.overview import table

PERIODS = {"term": "This term", "year": "This academic year", "custom": "Custom dates"}
DEFAULT_CHART = "core.concerns_per_100"
SPARK_TERMS = 6
GROUPS_COOKIE = "overview_groups"
COOKIE_DAYS = 365


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
    form = Form(request.args)
    s, trust_id = context.db(), chosen_trust(form)
    school_ids = trust_school_ids(s, trust_id)
    period, start, end, label = _chosen_period(s, form, school_ids, london_today())
    ov = build_overview(s, a, trust_id, start, end)
    definitions = _column_order(ov.definitions)
    keys = [f"{d.plugin}.{d.key}" for d in definitions]
    chart_key, chart_def = _chosen_chart(definitions, keys)
    groups = table.groups_of(definitions, source_label)
    shown, remember = _shown_groups(groups)
    columns = [c for c in table.build_columns(definitions, groups, ov.cells)
               if c.group.key in shown]
    sort_key, descending = _chosen_sort(columns)
    rows = table.sort_rows(table.build_rows(ov.schools, columns, ov.cells), sort_key,
                           descending)
    if request.args.get("spark") == "1":  # asked for by overview.js once the table shows
        _add_sparklines(s, a, trust_id, school_ids, rows, chart_key)
    page = render_template(
        "overview/overview.html", trust=s.get(Trust, trust_id),
        trusts=[s.get(Trust, t) for t in _overview_trusts(a)],
        ov=ov, columns=columns, rows=rows, groups=groups, shown=shown, period=period,
        periods=PERIODS, label=label, form=form, sort_key=sort_key, descending=descending,
        chart=_school_chart(ov, chart_key, chart_def), chart_key=chart_key,
        chart_def=chart_def, chartable=[d for d in definitions if not d.yes_no],
        spark_terms=SPARK_TERMS, query=_query_without, spark=_spark, fmt=table.fmt,
        spark_auto=s.get_bind().dialect.name != "sqlite",
        yes_count=lambda c: _yes_count(c, ov),
        has_national=any(c.definition.national is not None for c in columns))
    response = make_response(page, 422 if form.errors else 200)
    if remember is not None:
        response.set_cookie(_cookie_name(a), ",".join(remember), max_age=COOKIE_DAYS * 86400,
                            httponly=True, samesite="Lax", secure=request.is_secure)
    return response


def chosen_trust(form: Form) -> int:
    """The trust asked for (else the person's first), 404 unless they may read its overview."""
    trusts = _overview_trusts(context.actor())
    trust_id = form.integer("trust") or trusts[0]
    if trust_id not in trusts:
        abort(404)
    return trust_id


def trust_school_ids(session, trust_id: int) -> list[int]:
    return list(session.scalars(select(School.id).where(School.trust_id == trust_id)
                                .order_by(School.name)))


def _cookie_name(actor) -> str:
    """One cookie per person, so two people sharing a computer keep their own choice."""
    return f"{GROUPS_COOKIE}_{actor.user_id}"


def _shown_groups(groups) -> tuple[set[str], list[str] | None]:
    """The groups shown: those ticked when the form was sent (then remembered: the second
    value), else those remembered, else all. Nothing ticked shows everything rather than an
    empty table."""
    known = [g.key for g in groups]
    if request.args.get("cols") == "1":
        ticked = [k for k in request.args.getlist("group") if k in known]
        return set(ticked or known), ticked or known
    remembered = request.cookies.get(_cookie_name(context.actor()), "")
    kept = [k for k in remembered.split(",") if k in known]
    return set(kept or known), None


def _chosen_sort(columns) -> tuple[str, bool]:
    """``sort`` (a shown column's key, else the school's name) and ``dir`` (asc, desc)."""
    key = request.args.get("sort", "school")
    if key != "school" and key not in {c.key for c in columns}:
        key = "school"
    return key, request.args.get("dir") == "desc"


def _query_without(**changes) -> str:
    """The page's query string with some parameters changed (for the sort links), keeping the
    period, trust, chart and chosen groups."""
    args = request.args.to_dict(flat=False)
    for k, v in changes.items():
        args[k] = [v]
    return urlencode(args, doseq=True)


def _spark(values, label: str, school: str):
    return charts.sparkline(values, f"{school}, {label}, last {SPARK_TERMS} terms")


def _yes_count(column, ov) -> str:
    """A yes/no column's foot: how many schools answer yes, of those with an answer."""
    answers = [ov.cells[sc.id].get(column.key) for sc in ov.schools]
    answered = [v for v in answers if v is not None]
    return f"{sum(1 for v in answered if v)} of {len(answered)} yes" if answered else "–"


def _add_sparklines(session, actor, trust_id: int, school_ids: list[int], rows,
                    chart_key: str) -> None:
    """Each row's last six terms of the charted column (the current term so far). Six more
    overviews cost several times the page itself, so the page comes without them and
    overview.js fetches them (``spark=1``) once the table is on screen; without JavaScript a
    link asks for the same. On SQLite the script waits for a click instead: a second request
    writing its audit lines while the lead opens the next page would meet SQLite's single
    writer ("database is locked") on one of the two."""
    terms = recent_terms(session, school_ids, london_today(), SPARK_TERMS)
    trend = trust_trend(session, actor, trust_id, terms)
    for row in rows:
        row.spark = trend.values.get(row.school.id, {}).get(chart_key, [None] * len(terms))


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
    keys = [k for d, k in zip(definitions, keys) if not d.yes_no]  # a yes/no is no bar
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
        threshold=chart_def.national if chart_def else None, threshold_label="England")
