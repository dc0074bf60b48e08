"""Pages: the school's Encompass inbox, a notification, logging and uploading one, the
unmatched queue and the key adults list. Access is decided in the service modules (404
for anyone but the DSL team and the key adults)."""
from __future__ import annotations

import datetime as dt
from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from core import date_limits
from core.calendar import LONDON
from core.errors import ValidationError
from core.models import School
from core.models.pupils import YEAR_GROUPS
from core.policy import can, require
from plugins.encompass import service
from plugins.encompass.definition import NAME
from web import context

bp = Blueprint(NAME, __name__, url_prefix="/schools/<int:school_id>/encompass",
               template_folder="templates")


@bp.context_processor
def _roles():
    school_id = (request.view_args or {}).get("school_id")
    return {"is_dsl": school_id is not None
            and can(context.actor(), "encompass.manage", school_id)}


def _school(school_id: int) -> School:
    return context.db().get(School, school_id)


@bp.route("/", methods=["GET"])
@login_required
def inbox(school_id: int):
    s, a = context.db(), context.actor()
    status = request.args.get("status") or None
    if status not in (None, *service.STATUS_LABELS):
        status = None
    rows = service.inbox(s, a, school_id, status)
    return render_template("encompass/inbox.html", school=_school(school_id), rows=rows,
                           status=status, labels=service.STATUS_LABELS, london=LONDON,
                           gap=service.calendar_gap(s, school_id))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def log(school_id: int):
    s, a = context.db(), context.actor()
    require(a, "encompass.read", school_id, session=s)
    doc, values, errors = None, {}, {}
    doc_id = request.values.get("document_id", type=int)
    if doc_id:
        doc = service.document_for_form(s, a, school_id, doc_id)
        values = _values_from_parsed(doc.parsed)
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            result = service.log_notification(s, a, school_id, service.form_to_payload(request.form),
                                              document_id=doc.id if doc else None)
        except ValidationError as exc:
            errors = exc.errors
        else:
            n = result.notification
            flash("Notification logged." if result.created else
                  "This notification was already held (same force and reference): "
                  + ("the new details were recorded as an update." if result.updated
                     else "nothing new was added."), "info")
            return redirect(url_for("encompass.notification", school_id=school_id,
                                    notification_id=n.id))
    return render_template("encompass/log.html", school=_school(school_id), values=values,
                           errors=errors, doc=doc, rows=range(service.FORM_CHILD_ROWS)), \
        422 if errors else 200


def _values_from_parsed(parsed: dict) -> dict:
    values = {k: v for k, v in parsed.items() if isinstance(v, str)}
    for i, c in enumerate(parsed.get("children", [])[:service.FORM_CHILD_ROWS]):
        for k, v in c.items():
            values[f"children-{i}-{k}"] = v
    return values


@bp.route("/upload", methods=["GET", "POST"])
@login_required
def upload(school_id: int):
    s, a = context.db(), context.actor()
    require(a, "encompass.read", school_id, session=s)
    errors = {}
    if request.method == "POST":
        f = request.files.get("file")
        try:
            if f is None or not f.filename:
                raise ValidationError({"file": ["choose a file to upload"]})
            doc = service.store_upload(s, a, school_id, f.filename, f.read())
        except ValidationError as exc:
            errors = exc.errors
        else:
            flash("Uploaded. Check the details below and complete what is missing.", "info")
            return redirect(url_for("encompass.log", school_id=school_id, document_id=doc.id))
    return render_template("encompass/upload.html", school=_school(school_id), errors=errors), \
        422 if errors else 200


@bp.route("/<int:notification_id>", methods=["GET"])
@login_required
def notification(school_id: int, notification_id: int):
    view = service.read_notification(context.db(), context.actor(), school_id, notification_id)
    return render_template("encompass/notification.html", school=_school(school_id), v=view,
                           gap=service.calendar_gap(context.db(), school_id)
                           if view.notification.due_at is None else None,
                           london=LONDON, support=service.SUPPORT,
                           step_labels=service.STEP_LABELS, labels=service.STATUS_LABELS,
                           errors={})


@bp.route("/<int:notification_id>/steps", methods=["POST"])
@login_required
def add_step(school_id: int, notification_id: int):
    s, a = context.db(), context.actor()
    try:
        service.add_step(s, a, school_id, notification_id, request.form.get("kind", ""),
                         body=request.form.get("body", ""),
                         support=request.form.getlist("support"),
                         pupil_id=request.form.get("pupil_id", type=int))
    except ValidationError as exc:
        view = service.read_notification(s, a, school_id, notification_id)
        return render_template("encompass/notification.html", school=_school(school_id),
                               v=view, london=LONDON, support=service.SUPPORT,
                               step_labels=service.STEP_LABELS, labels=service.STATUS_LABELS,
                               errors=exc.errors), 422
    flash(f"{service.STEP_LABELS[request.form['kind']]}: recorded.", "info")
    return redirect(url_for("encompass.notification", school_id=school_id,
                            notification_id=notification_id))


@bp.route("/unmatched", methods=["GET"])
@login_required
def unmatched(school_id: int):
    queue = service.unmatched_queue(context.db(), context.actor(), school_id)
    return render_template("encompass/unmatched.html", school=_school(school_id), q=queue,
                           years=YEAR_GROUPS)


def _search_args(source) -> tuple[str | None, dt.date | None, int | None, dict]:
    """The picker's search (name, date of birth, year group) from a query string or form;
    a date or year that does not parse is named in the errors and left out of the search.
    Nothing asked at all gives ``q`` None: the picker then opens on its default list."""
    errors: dict[str, list[str]] = {}
    q = source.get("q")
    if q is not None and len(q) > 100:
        errors["q"] = ["must be at most 100 characters"]
        q = q[:100]
    born = None
    if raw := (source.get("dob") or "").strip():
        try:
            born = date_limits.parse_date(raw)
        except date_limits.OutOfRange:
            errors["dob"] = [date_limits.OUT_OF_RANGE]
        except ValueError:
            errors["dob"] = ["is not a date (use the date picker or YYYY-MM-DD)"]
    year = None
    if raw := (source.get("year") or "").strip():
        try:
            year = int(raw)
        except ValueError:
            year = -99
        if year not in YEAR_GROUPS:
            errors["year"] = ["choose a year group from the list"]
            year = None
    if not (q or "").strip() and born is None and year is None and not errors:
        q = None  # nothing asked: the picker's opening list (same date of birth)
    return q, born, year, errors


def _picker(school_id: int, child_id: int, source, errors: dict | None = None):
    q, born, year, search_errors = _search_args(source)
    picker = service.find_pupil_for_child(context.db(), context.actor(), school_id, child_id,
                                          q, born, year)
    template = ("encompass/_match_results.html" if request.headers.get("X-Live-Search")
                else "encompass/match.html")
    return render_template(template, school=_school(school_id), p=picker,
                           years=YEAR_GROUPS, errors={**search_errors, **(errors or {})},
                           note=source.get("note", "") if errors else "",
                           chosen=source.get("pupil_id") if errors else None), \
        422 if errors or search_errors else 200


@bp.route("/children/<int:child_id>/match", methods=["GET", "POST"])
@login_required
def match(school_id: int, child_id: int):
    """Choose the pupil a waiting child is: search the roll (GET, works without JavaScript;
    ``static/live-search.js`` searches as you type), then record (POST). A date of birth
    that differs from the notification's stops at a warning that needs a confirmation and a
    reason."""
    s, a = context.db(), context.actor()
    if request.method == "GET":
        return _picker(school_id, child_id, request.args)
    choice = request.form.get("pupil_id", "")
    if not choice:
        return _picker(school_id, child_id, request.form,
                       {"pupil_id": ["choose a pupil, or say the child is not a pupil here"]})
    try:
        pupil_id = None if choice == "none" else int(choice)
    except ValueError:
        pupil_id = -1  # not a pupil: refused below with the field named
    try:
        child = service.match_by_hand(s, a, school_id, child_id, pupil_id,
                                      request.form.get("note", ""),
                                      confirm_dob=request.form.get("confirm_dob") == "yes")
    except service.DobDiffers as exc:
        first_time = request.form.get("step") != "confirm"
        return render_template("encompass/match_confirm.html", school=_school(school_id),
                               child=exc.child, pupil=exc.pupil, relation=exc.relation,
                               years=YEAR_GROUPS, note=request.form.get("note", ""),
                               errors={} if first_time else exc.errors), \
            200 if first_time else 422
    except ValidationError as exc:
        return _picker(school_id, child_id, request.form, exc.errors)
    flash(f"{child.first_name} {child.last_name}: recorded.", "info")
    return redirect(url_for("encompass.notification", school_id=school_id,
                            notification_id=child.notification_id))


@bp.route("/key-adults", methods=["GET", "POST"])
@login_required
def key_adults(school_id: int):
    s, a = context.db(), context.actor()
    errors = {}
    if request.method == "POST":
        try:
            service.add_key_adult(s, a, school_id, request.form.get("user_id", type=int) or 0)
        except ValidationError as exc:
            errors = exc.errors
        else:
            flash("Key adult added.", "info")
            return redirect(url_for("encompass.key_adults", school_id=school_id))
    return render_template("encompass/key_adults.html", school=_school(school_id),
                           current=service.list_key_adults(s, a, school_id),
                           staff=service.eligible_staff(s, a, school_id), errors=errors), \
        422 if errors else 200


@bp.route("/key-adults/<int:key_adult_id>/remove", methods=["POST"])
@login_required
def remove_key_adult(school_id: int, key_adult_id: int):
    service.remove_key_adult(context.db(), context.actor(), school_id, key_adult_id)
    flash("Key adult removed.", "info")
    return redirect(url_for("encompass.key_adults", school_id=school_id))


@bp.route("/documents/<int:document_id>", methods=["GET"])
@login_required
def document(school_id: int, document_id: int):
    doc = service.get_document(context.db(), context.actor(), school_id, document_id)
    return send_file(BytesIO(doc.data), mimetype=doc.content_type, as_attachment=True,
                     download_name=doc.filename)
