"""The termly board report page (trust lead): pick the term, have its figures prepared (a
background job: at 50 schools they take seconds), write and save the narrative, see the
report as the board will (HTML), and download it as PDF or Word. Rules in
:mod:`core.board_report`."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from core import board_documents, board_report
from core.calendar import london_today
from core.errors import ValidationError
from web import context
from web.pages import download
from web.views.forms import Form
from web.views.trust_families import lead_trust

bp = Blueprint("board_report", __name__)
ACTION = "trust.board_report"


def _term(trust_id: int, raw: str | None) -> board_report.TermChoice:
    """The term asked for (its first day, ``YYYY-MM-DD``), else the latest term that has
    started; 404 when the trust has no calendar at all or the day names no term."""
    terms = board_report.terms_of_trust(context.db(), trust_id)
    if not terms:
        abort(404)
    if raw:
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            abort(404)
        found = next((t for t in terms if t.start == day), None)
        if found is None:
            abort(404)
        return found
    today = london_today()
    return next((t for t in terms if t.start <= today), terms[-1])


@bp.route("/trust/board-report")
@login_required
def page(form: Form | None = None, status: int = 200):
    """Term picker, the narrative form and the prepared report's preview (or the button that
    prepares it)."""
    trust_id = lead_trust(ACTION)
    term = _term(trust_id, request.values.get("term"))
    s, a = context.db(), context.actor()
    found = board_report.latest_report(s, a, trust_id, term.start)
    report, made_at = found if found else (None, None)
    narrative = board_report.latest_narrative(s, trust_id, term.start)
    values = form.values if form else {"narrative": narrative.text if narrative else ""}
    return render_template("lead/board_report.html", report=report, made_at=made_at,
                           preparing=board_report.preparing(s, trust_id, term.start),
                           trust_id=trust_id, terms=board_report.terms_of_trust(s, trust_id),
                           term=term, narrative=narrative, values=values,
                           errors=form.errors if form else {},
                           max_narrative=board_report.MAX_NARRATIVE), status


@bp.route("/trust/board-report/prepare", methods=["POST"])
@login_required
def prepare():
    """Gather the term's figures in the background (inline when no queue is set up)."""
    trust_id = lead_trust(ACTION)
    term = _term(trust_id, request.form.get("term"))
    board_report.queue_prepare(context.db(), context.actor(), trust_id, term.start)
    flash("The figures are being gathered; the report shows here when they are ready "
          "(reload the page).", "success")
    return redirect(url_for("board_report.page", trust=trust_id, term=term.start.isoformat()))


@bp.route("/trust/board-report/narrative", methods=["POST"])
@login_required
def save_narrative():
    """Save the lead's narrative for the term (kept, every save)."""
    trust_id = lead_trust(ACTION)
    term = _term(trust_id, request.form.get("term"))
    form = Form(request.form)
    text = form.text("narrative", max_len=board_report.MAX_NARRATIVE)
    if not form.errors:
        try:
            with context.db().begin_nested():
                board_report.save_narrative(context.db(), context.actor(), trust_id,
                                            term.start, text)
        except ValidationError as exc:
            form.absorb(exc)
    if form.errors:
        return page(form=form, status=422)
    flash("Narrative saved. The report below now prints it.", "success")
    return redirect(url_for("board_report.page", trust=trust_id, term=term.start.isoformat()))


@bp.route("/trust/board-report/download/<any(pdf, docx):fmt>")
@login_required
def download_report(fmt: str):
    """The prepared report as PDF or Word, small numbers suppressed, with the newest
    narrative."""
    trust_id = lead_trust(ACTION)
    term = _term(trust_id, request.args.get("term"))
    a = context.actor()
    found = board_report.latest_report(context.db(), a, trust_id, term.start)
    if found is None:
        flash("Prepare the report's figures first.", "error")
        return redirect(url_for("board_report.page", trust=trust_id,
                                term=term.start.isoformat()))
    report, _ = found
    name = f"board-report-{term.start.isoformat()}"
    if fmt == "pdf":
        return download(board_documents.report_pdf(report, a.name), f"{name}.pdf",
                        "application/pdf")
    return download(board_documents.report_docx(report, a.name), f"{name}.docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
