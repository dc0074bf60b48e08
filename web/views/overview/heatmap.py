"""Concerns by category per school, per 100 pupils, as a heat map for the trust lead; each
cell opens the school's concerns list filtered by the category and the same dates (the drill
is audited, and only the trust lead of the school's trust may take it)."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import login_required

from core import audit
from core.calendar import london_today
from core.errors import ValidationError
from core.heatmap import concern_heatmap
from core.models import ConcernCategory, School, Trust
from web import context
from web.views.forms import Form
from web.views.overview import bp
from web.views.overview.page import PERIODS, _chosen_period, _overview_trusts, chosen_trust, \
    trust_school_ids

SHADES = 5


def shade(rate: float | None, highest: float) -> int:
    """0 (none) to 5 (the trust's highest): the cell's shade, which only repeats the figure."""
    if not rate or not highest:
        return 0
    return max(1, min(SHADES, round(SHADES * rate / highest)))


@bp.route("/trust/heatmap")
@login_required
def heatmap():
    a, s = context.actor(), context.db()
    form = Form(request.args)
    trust_id = chosen_trust(form)
    period, start, end, label = _chosen_period(s, form, trust_school_ids(s, trust_id),
                                               london_today())
    hm = concern_heatmap(s, a, trust_id, start, end)
    return render_template(
        "overview/heatmap.html", trust=s.get(Trust, trust_id),
        trusts=[s.get(Trust, t) for t in _overview_trusts(a)], hm=hm, form=form,
        period=period, periods=PERIODS, label=label, shade=shade, highest=hm.highest(),
    ), 422 if form.errors else 200


@bp.route("/trust/heatmap/schools/<int:school_id>/categories/<int:category_id>")
@login_required
def heatmap_concerns(school_id: int, category_id: int):
    """The drill from a cell: audited, then the school's concerns list with the filters."""
    a, s = context.actor(), context.db()
    school = s.get(School, school_id)
    if school is None or school.trust_id not in _overview_trusts(a):
        abort(404)
    context.require("casefile.read", school_id)
    category = s.get(ConcernCategory, category_id)
    if category is None or category.trust_id != school.trust_id:
        abort(404)
    form = Form(request.args)
    start, end = form.date("start", required=True), form.date("end", required=True)
    if not form.errors and end < start:
        form.add_error("end", "must be on or after the start date")
    if form.errors:
        raise ValidationError(form.errors)
    audit.record(s, "trust.heatmap_drilled", actor=a, object_type="school",
                 object_id=school_id, school_id=school_id,
                 detail={"category": category.code, "start": start, "end": end})
    return redirect(url_for("casefile.concerns", school_id=school_id, category_id=category_id,
                            occurred_from=start.isoformat(), occurred_to=end.isoformat()))
