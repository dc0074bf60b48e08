"""Pages: the school's Encompass inbox, a notification, logging and uploading one, the
unmatched queue and the key adults list. Access is decided in the service modules (404
for anyone but the DSL team and the key adults)."""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from core.calendar import LONDON
from core.errors import ValidationError
from core.models import School
from core.policy import can, require
from plugins.encompass import documents, inbox, key_adults, response, service
from web import context

bp = Blueprint("encompass", __name__, url_prefix="/schools/<int:school_id>/encompass",
               template_folder="templates")
# URL rules together at the top
RULES = [
    ("/", "inbox", ["GET"]),
    ("/new", "log", ["GET", "POST"]),
    ("/upload", "upload", ["GET", "POST"]),
    ("/<int:notification_id>", "notification", ["GET"]),
    ("/<int:notification_id>/steps", "add_step", ["POST"]),
    ("/unmatched", "unmatched", ["GET"]),
    ("/children/<int:child_id>/match", "match", ["POST"]),
    ("/key-adults", "key_adults", ["GET", "POST"]),
    ("/key-adults/<int:key_adult_id>/remove", "remove_key_adult", ["POST"]),
    ("/documents/<int:document_id>", "document", ["GET"]),
]


@bp.context_processor
def _roles():
    school_id = (request.view_args or {}).get("school_id")
    return {"is_dsl": school_id is not None
            and can(context.actor(), "encompass.manage", school_id)}


def _school(school_id: int) -> School:
    return context.db().get(School, school_id)


def inbox_page(school_id: int):
    s, a = context.db(), context.actor()
    status = request.args.get("status") or None
    if status not in (None, *response.STATUS_LABELS):
        status = None
    rows = inbox.inbox(s, a, school_id, status)
    return render_template("encompass/inbox.html", school=_school(school_id), rows=rows,
                           status=status, labels=response.STATUS_LABELS, london=LONDON)


def log_page(school_id: int):
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


def upload_page(school_id: int):
    s, a = context.db(), context.actor()
    require(a, "encompass.read", school_id, session=s)
    errors = {}
    if request.method == "POST":
        f = request.files.get("file")
        try:
            if f is None or not f.filename:
                raise ValidationError({"file": ["choose a file to upload"]})
            doc = documents.store_upload(s, a, school_id, f.filename, f.read())
        except ValidationError as exc:
            errors = exc.errors
        else:
            flash("Uploaded. Check the details below and complete what is missing.", "info")
            return redirect(url_for("encompass.log", school_id=school_id, document_id=doc.id))
    return render_template("encompass/upload.html", school=_school(school_id), errors=errors), \
        422 if errors else 200


def notification_page(school_id: int, notification_id: int):
    view = inbox.read_notification(context.db(), context.actor(), school_id, notification_id)
    return render_template("encompass/notification.html", school=_school(school_id), v=view,
                           london=LONDON, support=response.SUPPORT,
                           step_labels=response.STEP_LABELS, labels=response.STATUS_LABELS,
                           errors={})


def add_step_page(school_id: int, notification_id: int):
    s, a = context.db(), context.actor()
    try:
        response.add_step(s, a, school_id, notification_id, request.form.get("kind", ""),
                          body=request.form.get("body", ""),
                          support=request.form.getlist("support"),
                          pupil_id=request.form.get("pupil_id", type=int))
    except ValidationError as exc:
        view = inbox.read_notification(s, a, school_id, notification_id)
        return render_template("encompass/notification.html", school=_school(school_id),
                               v=view, london=LONDON, support=response.SUPPORT,
                               step_labels=response.STEP_LABELS, labels=response.STATUS_LABELS,
                               errors=exc.errors), 422
    flash(f"{response.STEP_LABELS[request.form['kind']]}: recorded.", "info")
    return redirect(url_for("encompass.notification", school_id=school_id,
                            notification_id=notification_id))


def unmatched_page(school_id: int):
    queue = inbox.unmatched_queue(context.db(), context.actor(), school_id)
    return render_template("encompass/unmatched.html", school=_school(school_id), q=queue)


def match_page(school_id: int, child_id: int):
    s, a = context.db(), context.actor()
    choice = request.form.get("pupil_id", "")
    try:
        pupil_id = None if choice == "none" else int(choice)
    except ValueError:
        pupil_id = -1  # not a pupil: refused below with the field named
    try:
        child = inbox.match_by_hand(s, a, school_id, child_id, pupil_id,
                                    request.form.get("note", ""))
    except ValidationError as exc:
        flash("; ".join(f"{k.replace('_', ' ')}: {', '.join(v)}" for k, v in exc.errors.items()),
              "error")
        return redirect(url_for("encompass.unmatched", school_id=school_id))
    flash(f"{child.first_name} {child.last_name}: recorded.", "info")
    return redirect(url_for("encompass.notification", school_id=school_id,
                            notification_id=child.notification_id))


def key_adults_page(school_id: int):
    s, a = context.db(), context.actor()
    errors = {}
    if request.method == "POST":
        try:
            key_adults.add_key_adult(s, a, school_id, request.form.get("user_id", type=int) or 0)
        except ValidationError as exc:
            errors = exc.errors
        else:
            flash("Key adult added.", "info")
            return redirect(url_for("encompass.key_adults", school_id=school_id))
    return render_template("encompass/key_adults.html", school=_school(school_id),
                           current=key_adults.list_key_adults(s, a, school_id),
                           staff=key_adults.eligible_staff(s, a, school_id), errors=errors), \
        422 if errors else 200


def remove_key_adult_page(school_id: int, key_adult_id: int):
    key_adults.remove_key_adult(context.db(), context.actor(), school_id, key_adult_id)
    flash("Key adult removed.", "info")
    return redirect(url_for("encompass.key_adults", school_id=school_id))


def document_page(school_id: int, document_id: int):
    doc = documents.get_document(context.db(), context.actor(), school_id, document_id)
    return send_file(BytesIO(doc.data), mimetype=doc.content_type, as_attachment=True,
                     download_name=doc.filename)


_VIEWS = {"inbox": inbox_page, "log": log_page, "upload": upload_page,
          "notification": notification_page, "add_step": add_step_page,
          "unmatched": unmatched_page, "match": match_page, "key_adults": key_adults_page,
          "remove_key_adult": remove_key_adult_page, "document": document_page}
for _rule, _endpoint, _methods in RULES:
    bp.add_url_rule(_rule, _endpoint, login_required(_VIEWS[_endpoint]), methods=_methods)
