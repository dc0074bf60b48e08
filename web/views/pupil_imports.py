"""Pupils from the school's MIS, for those who keep the roll (``pupil.manage``): upload an
export, read its preview (adds, changes, rows to review, pupils no longer listed, every
problem with its line or XML path), confirm it; decide the review queue; confirm "left?"
pupils as leavers (the leaving flow opens the transfer); save a CSV layout."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from core.calendar import london_today
from core.errors import ValidationError
from core.mis import queue, service
from core.mis.csvfile import DEFAULT_COLUMNS, DEFAULT_DATE_FORMAT
from core.mis.rows import FIELDS
from core.pupils import FIELD_LABELS, LEAVING_AHEAD
from core.models.pupils import FLAGS, YEAR_GROUPS
from web import context
from web.pages import school_for
from web.views.forms import Form
from web.views.pupils import leaving_fields

bp = Blueprint("pupil_imports", __name__)
MAX_BYTES = 64 * 1024 * 1024
STATUS = {"queued": "Being read", "previewed": "Preview ready", "committed": "Imported",
          "invalid": "Has problems: nothing imported", "failed": "Stopped: nothing imported",
          "expired": "Preview expired: nothing imported"}


def _render(school_id: int, upload: Form | None = None, layout: Form | None = None,
            leaver: tuple[int, Form] | None = None, status: int = 200):
    school = school_for("pupil.manage", school_id)
    s, a = context.db(), context.actor()
    return render_template(
        "imports/index.html", school=school, years=YEAR_GROUPS, status_labels=STATUS,
        imports=service.recent_imports(s, a, school_id),
        layouts=service.layouts(s, a, school_id),
        review=[(item, pupil, dt.date.fromisoformat(item.row["details"]["date_of_birth"]))
                for item, pupil in queue.open_review(s, a, school_id)],
        leavers=queue.open_leavers(s, a, school_id),
        upload_values=upload.values if upload else MultiDict({"full": "1"}),
        upload_errors=upload.errors if upload else {},
        layout_values=layout.values if layout else MultiDict({"date_format": DEFAULT_DATE_FORMAT}),
        layout_errors=layout.errors if layout else {},
        leaver_form=leaver, latest_leaving=london_today() + LEAVING_AHEAD,
        layout_fields=layout_fields()), status


@bp.route("/schools/<int:school_id>/roll/imports")
@login_required
def index(school_id: int):
    return _render(school_id)


@bp.route("/schools/<int:school_id>/roll/imports", methods=["POST"], endpoint="upload")
@login_required
def upload(school_id: int):
    """Record the file and read it (a job): the preview follows."""
    context.require("pupil.manage", school_id)
    form = Form(request.form)
    fmt = form.choice("format", ("ctf", "csv"))
    layout = form.text("layout", max_len=60) or None
    file = request.files.get("file")
    content = file.read(MAX_BYTES + 1) if file and file.filename else b""
    if not content:
        form.add_error("file", "choose the MIS export (a CTF .xml or a .csv file)")
    elif len(content) > MAX_BYTES:
        form.add_error("file", "is larger than 64 MB")
    if not form.errors:
        s = context.db()
        try:
            with s.begin_nested():
                imp = service.start_import(s, context.actor(), school_id, content, file.filename,
                                           fmt, layout, full=None if request.form.get("full")
                                           else False)
                service.queue(s, imp)
        except ValidationError as exc:
            form.absorb(exc)
    if form.errors:
        return _render(school_id, upload=form, status=422)
    context.db().commit()  # the import and its job; an inline job runs after this commit
    return redirect(url_for("pupil_imports.show", school_id=school_id, import_id=imp.id))


@bp.route("/schools/<int:school_id>/roll/imports/<int:import_id>")
@login_required
def show(school_id: int, import_id: int):
    school = school_for("pupil.manage", school_id)
    imp = service.get_import(context.db(), context.actor(), school_id, import_id)
    return render_template("imports/preview.html", school=school, imp=imp,
                           report=imp.report or {}, years=YEAR_GROUPS, flags=FLAGS,
                           field_labels=FIELD_LABELS, status_labels=STATUS)


@bp.route("/schools/<int:school_id>/roll/imports/<int:import_id>/confirm", methods=["POST"])
@login_required
def confirm(school_id: int, import_id: int):
    context.require("pupil.manage", school_id)
    s = context.db()
    try:
        service.confirm_import(s, context.actor(), school_id, import_id)
    except ValidationError as exc:
        flash(f"Not imported: this file {exc.errors['import'][0]}.", "error")
        return redirect(url_for("pupil_imports.show", school_id=school_id, import_id=import_id))
    s.commit()
    flash("Imported. Rows to review and pupils no longer listed are on the imports page.",
          "success")
    return redirect(url_for("pupil_imports.show", school_id=school_id, import_id=import_id))


@bp.route("/schools/<int:school_id>/roll/review/<int:item_id>", methods=["POST"])
@login_required
def decide(school_id: int, item_id: int):
    """Same pupil, a new pupil, or leave the row out."""
    context.require("pupil.manage", school_id)
    decision = request.form.get("decision", "")
    try:
        with context.db().begin_nested():
            queue.decide_review(context.db(), context.actor(), school_id, item_id, decision)
    except ValidationError as exc:
        flash("Not saved: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items()),
              "error")
        return redirect(url_for("pupil_imports.index", school_id=school_id) + "#review")
    flash({"same": "Linked to the pupil on roll.", "new": "Added as a new pupil.",
           "ignore": "The row will be left out of imports."}[decision], "success")
    return redirect(url_for("pupil_imports.index", school_id=school_id) + "#review")


@bp.route("/schools/<int:school_id>/roll/left/<int:check_id>", methods=["POST"])
@login_required
def leaver(school_id: int, check_id: int):
    """Confirm a "left?" pupil as a leaver: the leaving flow (a destination opens the
    transfer of the child-protection file)."""
    context.require("pupil.manage", school_id)
    form = Form(request.form)
    day, reason, urn, where = leaving_fields(form)
    if not form.errors:
        try:
            with context.db().begin_nested():
                queue.confirm_leaver(context.db(), context.actor(), school_id, check_id, day,
                                     reason, urn, destination_unknown=where == "unknown")
        except ValidationError as exc:
            form.absorb(exc, keep_own=True)
    if form.errors:
        return _render(school_id, leaver=(check_id, form), status=422)
    flash("Taken off roll.", "success")
    return redirect(url_for("pupil_imports.index", school_id=school_id) + "#left")


@bp.route("/schools/<int:school_id>/roll/left/<int:check_id>/on-roll", methods=["POST"])
@login_required
def still_on_roll(school_id: int, check_id: int):
    context.require("pupil.manage", school_id)
    try:
        with context.db().begin_nested():
            queue.still_on_roll(context.db(), context.actor(), school_id, check_id)
    except ValidationError:
        flash("This pupil was already dealt with.", "error")
    return redirect(url_for("pupil_imports.index", school_id=school_id) + "#left")


CARER_LABELS = {"carer.priority": "Contact's order of contact (1 first)",
                "carer.title": "Contact's title", "carer.first_name": "Contact's forename",
                "carer.last_name": "Contact's surname", "carer.relationship": "Relationship",
                "carer.parental_responsibility": "Parental responsibility (yes or no)",
                "carer.phone": "Contact's phone", "carer.email": "Contact's email",
                "carer.address": "Contact's address"}


def layout_fields() -> list[tuple[str, str, str]]:
    """(field, label, default heading) for each column a layout can name."""
    return [(k, FIELDS.get(k) or CARER_LABELS[k], DEFAULT_COLUMNS[k]) for k in DEFAULT_COLUMNS]


def _columns(form: Form) -> dict:
    """The headings typed, by field (blank ones left out)."""
    columns = {}
    for key, _label, _default in layout_fields():
        heading = form.text(f"col-{key}", max_len=100)
        if heading:
            columns[key] = heading
    return columns


@bp.route("/schools/<int:school_id>/roll/layouts", methods=["POST"])
@login_required
def save_layout(school_id: int):
    """Save the column headings of the school's MIS export."""
    context.require("pupil.manage", school_id)
    form = Form(request.form)
    name = form.text("name", required=True, max_len=60)
    date_format = form.text("date_format", required=True, max_len=20)
    columns = _columns(form)
    if not form.errors:
        try:
            with context.db().begin_nested():
                service.save_layout(context.db(), context.actor(), school_id, name, columns,
                                    date_format)
        except ValidationError as exc:
            for field, messages in exc.errors.items():
                for m in messages:
                    form.add_error(field if field in ("name", "date_format", "columns")
                                   else f"col-{field}", m)
    if form.errors:
        return _render(school_id, layout=form, status=422)
    flash(f"Layout {name} saved.", "success")
    return redirect(url_for("pupil_imports.index", school_id=school_id) + "#layouts")
