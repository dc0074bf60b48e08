"""Retention and subject access pages for the DSL team: the school's "due for review" list
(pupils whose records have passed their retention date, those under a legal hold apart), the
trust's retention years (changed by the trust safeguarding lead), one pupil's retention with
the legal hold set or lifted with a reason, and the subject access export: choose what to
withhold, then download JSON or PDF. The rules and the audit are core's (core.retention,
core.sar); these pages only draw and collect."""
from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import login_required

from core import plugin_records, retention, sar
from core.errors import ValidationError
from core.policy import can
from web import context
from web.pages import school_for
from web.views.forms import Form

bp = Blueprint("retention", __name__)
PUPIL = "/schools/<int:school_id>/pupils/<int:pupil_id>"


def _due_page(school_id: int, status: int = 200, form: Form | None = None,
              which: str = ""):
    school = school_for("retention.review", school_id)
    s, a = context.db(), context.actor()
    due, held = retention.due_for_review(s, a, school_id)
    years = retention.years_for(s, school.trust_id)
    return render_template(
        "retention/due.html", school=school, due=due, held=held, rules=retention.rules(),
        staff=retention.staff_records_due(s, a, school_id),
        can_destroy=can(a, "retention.destroy", school_id),
        years=years, can_hold=can(a, "retention.hold", school_id),
        can_rules=can(a, "retention.rules", trust_id=school.trust_id),
        values=form.values if form else {}, errors=form.errors if form else {},
        which=which), status


@bp.route("/schools/<int:school_id>/retention", endpoint="due")
@login_required
def due(school_id: int):
    """Pupils whose records are due for review, and those kept by a legal hold."""
    return _due_page(school_id)


@bp.route("/schools/<int:school_id>/retention/rules", methods=["POST"], endpoint="rules")
@login_required
def rules(school_id: int):
    """The trust safeguarding lead changes the trust's retention years."""
    school = school_for("school.view", school_id)
    context.require("retention.rules", trust_id=school.trust_id)
    form = Form(request.form)
    years = {key: form.integer(key) for key in retention.rules()}
    years = {k: v for k, v in years.items() if v is not None}
    if not form.errors:
        try:
            with context.db().begin_nested():
                retention.set_years(context.db(), context.actor(), school.trust_id, years)
        except ValidationError as exc:
            form.absorb(exc)
    if form.errors:
        return _due_page(school_id, 422, form)
    flash("Retention periods saved for every school of the trust.", "success")
    return redirect(url_for("retention.due", school_id=school_id))


def _pupil_page(school_id: int, pupil_id: int, status: int = 200, form: Form | None = None,
                which: str = ""):
    school = school_for("retention.review", school_id)
    s, a = context.db(), context.actor()
    state, holds = retention.pupil_retention(s, a, school_id, pupil_id)
    return render_template(
        "retention/pupil.html", school=school, pupil=state.pupil, state=state, holds=holds,
        tombs=retention.destructions(s, a, school_id, pupil_id),
        can_destroy=can(a, "retention.destroy", school_id),
        rules=retention.rules(), can_hold=can(a, "retention.hold", school_id),
        can_export=can(a, "sar.export", school_id), values=form.values if form else {},
        errors=form.errors if form else {}, which=which), status


@bp.route(PUPIL + "/retention", endpoint="pupil")
@login_required
def pupil(school_id: int, pupil_id: int):
    """One pupil's retention dates and legal holds."""
    return _pupil_page(school_id, pupil_id)


def _hold_change(school_id: int, pupil_id: int, change, which: str, done: str):
    context.require("retention.hold", school_id)
    form = Form(request.form)
    reason = form.text("reason", required=True, max_len=retention.REASON_LIMIT)
    if not form.errors:
        try:
            with context.db().begin_nested():
                change(context.db(), context.actor(), school_id, pupil_id, reason)
        except ValidationError as exc:
            form.absorb(exc, {"hold": "reason"})
    if form.errors:
        return _pupil_page(school_id, pupil_id, 422, form, which)
    flash(done, "success")
    return redirect(url_for("retention.pupil", school_id=school_id, pupil_id=pupil_id))


@bp.route(PUPIL + "/retention/hold", methods=["POST"], endpoint="hold")
@login_required
def hold(school_id: int, pupil_id: int):
    """Place the pupil's records under a legal hold, with a reason."""
    return _hold_change(school_id, pupil_id, retention.set_hold, "hold",
                        "Legal hold placed: the records stay off the review list.")


@bp.route(PUPIL + "/retention/lift", methods=["POST"], endpoint="lift")
@login_required
def lift(school_id: int, pupil_id: int):
    """Lift the legal hold in force, with a reason (the hold is kept as lifted)."""
    return _hold_change(school_id, pupil_id, retention.lift_hold, "lift",
                        "Legal hold lifted. It stays on record with your reason.")


@bp.route(PUPIL + "/retention/destroy", methods=["POST"], endpoint="destroy")
@login_required
def destroy(school_id: int, pupil_id: int):
    """Destroy the file's content once retention has ended (the DSL; a tombstone stays)."""
    context.require("retention.destroy", school_id)
    form = Form(request.form)
    reason = form.text("destroy_reason", required=True, max_len=retention.REASON_LIMIT)
    if form.values.get("confirm") != "yes":
        form.add_error("confirm", "tick to confirm: the content cannot be brought back")
    if not form.errors:
        try:
            with context.db().begin_nested():
                retention.destroy(context.db(), context.actor(), school_id, pupil_id, reason)
        except ValidationError as exc:
            form.absorb(exc, {"reason": "destroy_reason", "hold": "destroy_reason",
                              "pupil": "destroy_reason"})
    if form.errors:
        return _pupil_page(school_id, pupil_id, 422, form, "destroy")
    flash("The file's content is destroyed. The record of its destruction stays.", "success")
    return redirect(url_for("retention.pupil", school_id=school_id, pupil_id=pupil_id))


@bp.route("/schools/<int:school_id>/retention/records/destroy", methods=["POST"],
          endpoint="destroy_records")
@login_required
def destroy_records(school_id: int):
    """Destroy a plugin's records about one person once their retention has ended (the DSL;
    a tombstone stays): a pupil's from their retention page, a leaver's from the due list."""
    context.require("retention.destroy", school_id)
    form = Form(request.form)
    record_type = form.text("record_type", required=True, max_len=60)
    subject = form.text("subject", required=True, max_len=40)
    reason = form.text("destroy_reason", required=True, max_len=retention.REASON_LIMIT)
    if form.values.get("confirm") != "yes":
        form.add_error("confirm", "tick to confirm: the content cannot be brought back")
    pupil_id = int(subject.split(":", 1)[1]) if (subject or "").startswith("pupil:") \
        and subject.split(":", 1)[1].isdigit() else None
    if not form.errors:
        try:
            with context.db().begin_nested():
                plugin_records.destroy(context.db(), context.actor(), school_id, record_type,
                                       subject, reason)
        except ValidationError as exc:
            form.absorb(exc, {"reason": "destroy_reason", "hold": "destroy_reason",
                              "record_type": "destroy_reason", "subject": "destroy_reason"})
    back = "destroy:" + (record_type or "")
    if form.errors:
        if pupil_id is not None:
            return _pupil_page(school_id, pupil_id, 422, form, back)
        return _due_page(school_id, 422, form, back)
    flash("The records' content is destroyed. The record of its destruction stays.", "success")
    if pupil_id is not None:
        return redirect(url_for("retention.pupil", school_id=school_id, pupil_id=pupil_id))
    return redirect(url_for("retention.due", school_id=school_id) + "#staff-h")


def _sar_page(school_id: int, pupil_id: int, status: int = 200, form: Form | None = None):
    school = school_for("sar.export", school_id)
    s, a = context.db(), context.actor()
    doc = sar.items(s, a, school_id, pupil_id)
    chosen = set(form.values.getlist("redact")) if form else {
        p["key"] for p in doc["third_parties"] if p["kind"] == "pupil"}
    return render_template("retention/sar.html", school=school, pupil_id=pupil_id, doc=doc,
                           chosen=chosen, errors=form.errors if form else {},
                           when=dt.datetime.fromisoformat,
                           fmt=form.values.get("format", "pdf") if form else "pdf"), status


@bp.route(PUPIL + "/subject-access", methods=["GET", "POST"], endpoint="sar")
@login_required
def subject_access(school_id: int, pupil_id: int):
    """Choose what to withhold (other pupils are ticked to start with), then download."""
    if request.method == "GET":
        return _sar_page(school_id, pupil_id)
    school = school_for("sar.export", school_id)
    form = Form(request.form)
    fmt = form.choice("format", {"json": "JSON", "pdf": "PDF"}, required=True)
    out = None
    if not form.errors:
        s, a = context.db(), context.actor()
        try:
            with s.begin_nested():
                out = sar.export(s, a, school_id, pupil_id, form.values.getlist("redact"), fmt)
        except ValidationError as exc:
            form.absorb(exc)
    if form.errors:
        return _sar_page(school_id, pupil_id, 422, form)
    name = f"subject-access-{pupil_id}.{fmt}"
    if fmt == "json":
        body, mimetype = json.dumps(out, indent=2, ensure_ascii=False), "application/json"
    else:
        from core.pupils import get_pupil

        pupil_row = get_pupil(context.db(), context.actor(), school_id, pupil_id, "sar.export")
        body = sar.export_pdf(out, pupil_row, school.name, context.actor().name)
        mimetype = "application/pdf"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
