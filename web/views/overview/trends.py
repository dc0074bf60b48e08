"""Trends for the trust lead: any overview column over terms and academic years, one line per
school and the trust median, the chart beside a table of the same figures."""
from __future__ import annotations

from flask import render_template, request
from flask_login import login_required

from core.calendar import academic_year_start, london_today
from core.models import Trust
from core.trends import terms_between, trust_trend
from web import charts, context
from web.views.forms import Form
from web.views.overview import bp
from web.views.overview.page import DEFAULT_CHART, _column_order, _overview_trusts, \
    chosen_trust, trust_school_ids

YEARS_BACK = 4   # the years offered: this one and the four before
MAX_YEARS = 3    # at most three years (nine terms) drawn at once


def year_label(y: int) -> str:
    return f"{y}/{(y + 1) % 100:02d}"


def _chosen_years(form: Form, this_year: int) -> tuple[int, int]:
    """The first and last academic years asked for (by their starting year), checked."""
    offered = range(this_year - YEARS_BACK, this_year + 1)
    first = form.integer("from") or this_year - 1
    last = form.integer("to") or this_year
    if first not in offered:
        form.add_error("from", f"must be an academic year from {year_label(offered[0])} "
                               f"to {year_label(this_year)}")
    if last not in offered:
        form.add_error("to", f"must be an academic year from {year_label(offered[0])} "
                             f"to {year_label(this_year)}")
    if not form.errors and last < first:
        form.add_error("to", "must be the same year as “from” or later")
    if not form.errors and last - first + 1 > MAX_YEARS:
        form.add_error("to", f"at most {MAX_YEARS} academic years at once")
    if form.errors:
        return this_year - 1, this_year
    return first, last


@bp.route("/trust/trends")
@login_required
def trends():
    a, s = context.actor(), context.db()
    form = Form(request.args)
    trust_id = chosen_trust(form)
    today = london_today()
    this_year = academic_year_start(today)
    first, last = _chosen_years(form, this_year)
    terms = terms_between(s, trust_school_ids(s, trust_id), first, last, today)
    trend = trust_trend(s, a, trust_id, terms)
    definitions = [d for d in _column_order(trend.definitions()) if not d.yes_no]
    keys = [f"{d.plugin}.{d.key}" for d in definitions]
    metric = request.args.get("metric", DEFAULT_CHART)
    if metric not in keys:
        if "metric" in request.args:
            form.add_error("metric", "is not one of the overview's columns")
        metric = keys[0] if keys else DEFAULT_CHART
    chosen = next((d for d in definitions if f"{d.plugin}.{d.key}" == metric), None)
    unit = "%" if chosen and chosen.unit == "%" else ""
    labels = [t.name for t in terms]
    series = [charts.Series(sc.name, trend.values[sc.id].get(metric, [None] * len(terms)))
              for sc in trend.schools]
    median = trend.medians.get(metric, [None] * len(terms))
    chart = charts.multi_line_chart(
        labels, series + [charts.Series("Trust median", median, emphasis=True)],
        f"{chosen.label if chosen else metric} by term", unit=unit)
    return render_template(
        "overview/trends.html", trust=s.get(Trust, trust_id),
        trusts=[s.get(Trust, t) for t in _overview_trusts(a)], form=form,
        definitions=definitions, metric=metric, chosen=chosen, unit=unit, terms=terms,
        series=series, median=median, chart=chart, first=first, last=last,
        years=[(y, year_label(y)) for y in range(this_year - YEARS_BACK, this_year + 1)],
        palette=charts.PALETTE, dashes=charts.DASHES, today=today,
    ), 422 if form.errors else 200
