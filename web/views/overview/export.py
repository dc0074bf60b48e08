"""The overview as a file (CSV or XLSX) with the trust's small-number rule applied
(:mod:`core.suppression`): a count from 1 to the threshold less one becomes "fewer than 5", a
rate over pupils (a per-100 figure, or a percentage whose definition names its base) is
withheld where the school has fewer pupils than the rule's minimum, a yes/no figure is a word.
Figures about staff and timeliness (training, hours to acknowledge) are not about a child and
are given as they are. The file ends with the rule's sentence and the period."""
from __future__ import annotations

import csv
import io

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from core import audit, suppression
from core.calendar import london_today, uk_date
from core.errors import ValidationError
from core.models import Trust
from core.overview import trust_overview as build_overview
from web import context
from web.pages import download
from web.views.forms import Form
from web.views.overview import bp
from web.views.overview.page import _chosen_period, _column_order, chosen_trust, trust_school_ids

PUPILS = "core.pupils"
MIMETYPES = {"csv": "text/csv",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def base_of(d) -> str | None:
    """The figure a rate is taken over: the definition's own, else pupils for "per 100"."""
    return d.base or (PUPILS if d.unit == "per 100" else None)


def shown_value(d, value, row: dict, rule: suppression.SuppressionRule):
    """One figure as the export may show it under ``rule``."""
    if value is None:
        return ""
    if d.yes_no:
        return "Yes" if value else "No"
    base = base_of(d)
    if base is not None:
        return suppression.WITHHELD if rule.withholds_base(row.get(base)) else value
    if d.unit == "" and float(value).is_integer():
        return rule.count(int(value))
    return value


def header_of(definitions) -> list[str]:
    return ["School"] + [d.label + (f" ({d.unit})" if d.unit else "") for d in definitions]


def as_text(value: str) -> str:
    """Text a spreadsheet shows as text: a leading = + - @ would make a formula of it."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def suppressed_rows(ov, definitions, rule: suppression.SuppressionRule) -> list[list]:
    """A row per school: its name, then each column's figure as it may leave the platform."""
    keys = [f"{d.plugin}.{d.key}" for d in definitions]
    return [[as_text(sc.name)] + [shown_value(d, ov.cells[sc.id].get(k), ov.cells[sc.id], rule)
                         for d, k in zip(definitions, keys)] for sc in ov.schools]


def notes(trust, ov, rule, definitions) -> list[str]:
    england = "; ".join(f"{d.label}: {d.national:g}{'%' if d.unit == '%' else ''}"
                        for d in definitions if d.national is not None)
    lines = [f"{trust.name}: figures from {uk_date(ov.start)} to {uk_date(ov.end)}, "
             f"exported {uk_date(london_today())}.", suppression.describe_rule(rule)]
    if england:
        lines.append(f"England: {england}.")
    return lines


def to_csv(header: list[str], rows: list[list], lines: list[str]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(rows)
    w.writerow([])
    for line in lines:
        w.writerow([line])
    return out.getvalue().encode("utf-8-sig")  # Excel reads the BOM as UTF-8


def to_xlsx(header: list[str], rows: list[list], lines: list[str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Overview"
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "B2"  # the school column and the header stay put, as on the page
    ws.column_dimensions["A"].width = 32
    ws.append([])
    for line in lines:
        ws.append([line])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@bp.route("/trust/overview.<any(csv, xlsx):fmt>")
@login_required
def export(fmt: str):
    """The overview for the period chosen on the page, as CSV or XLSX, suppressed; audited."""
    a, s = context.actor(), context.db()
    form = Form(request.args)
    trust_id = chosen_trust(form)
    _, start, end, _ = _chosen_period(s, form, trust_school_ids(s, trust_id), london_today())
    if form.errors:
        raise ValidationError(form.errors)
    ov = build_overview(s, a, trust_id, start, end)
    definitions = _column_order(ov.definitions)
    rule = suppression.rule_for(s, trust_id)
    trust = s.get(Trust, trust_id)
    header, rows = header_of(definitions), suppressed_rows(ov, definitions, rule)
    lines = notes(trust, ov, rule, definitions)
    data = to_csv(header, rows, lines) if fmt == "csv" else to_xlsx(header, rows, lines)
    audit.record(s, "trust.overview_exported", actor=a, object_type="trust",
                 object_id=trust_id, trust_id=trust_id,
                 detail={"format": fmt, "start": start, "end": end,
                         "rule": [rule.threshold, rule.min_denominator]})
    return download(data, f"trust-overview-{start.isoformat()}-to-{end.isoformat()}.{fmt}",
                    MIMETYPES[fmt])


@bp.route("/trust/suppression", methods=["GET", "POST"])
@login_required
def suppression_rule():
    """The trust's small-number rule: what it hides now, and (POST) the lead changing it."""
    a, s = context.actor(), context.db()
    form = Form(request.form if request.method == "POST" else request.args)
    trust_id = chosen_trust(Form(request.args))
    status = 200
    if request.method == "POST":
        threshold, minimum = form.integer("threshold", required=True), \
            form.integer("min_denominator", required=True)
        if not form.errors:
            try:
                with s.begin_nested():
                    suppression.set_rule(s, a, trust_id, threshold, minimum)
            except ValidationError as exc:
                form.absorb(exc)
        if not form.errors:
            flash("Small-number rule saved: every export and report of the trust uses it.",
                  "success")
            return redirect(url_for("overview.suppression_rule", trust=trust_id))
        status = 422
    rule = suppression.rule_for(s, trust_id)
    return render_template("overview/suppression.html", trust=s.get(Trust, trust_id),
                           rule=rule, sentence=suppression.describe_rule(rule), form=form,
                           low=suppression.THRESHOLD_RANGE[0],
                           high=suppression.THRESHOLD_RANGE[1],
                           most=suppression.MAX_MIN_DENOMINATOR), status
