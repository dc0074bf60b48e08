"""Pages of the transition plugin: the DSL's transfers, a transfer from either side, the Year 6
cohort action, importing a bundle, the "no file yet" list, pupils gone with no known
destination (children missing education), and the one-time download link.

Every page but the download link is for the two DSL teams involved (``transfer.handle``);
anyone else gets 404. The download link is for a DSL outside the platform, signed in nowhere:
it lives on its own blueprint, finds its school from the token, and is worth nothing without
the passphrase given by another channel.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import uuid

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from core import date_limits
from core.calendar import london_today
from core.errors import ValidationError
from core.models import School
from core.pupils import search_pupils
from plugins.transition import document, service
from plugins.transition.definition import NAME
from plugins.transition.models import STATUS_LABELS
from web import context

bp = Blueprint(NAME, __name__, url_prefix="/schools/<int:school_id>/transition",
               template_folder="templates")
# the download link: no school in the URL (it would tell a stranger which school sent a file);
# the view finds the school from the token and checks the plugin is on there itself
public_bp = Blueprint(f"{NAME}_public", __name__, template_folder="templates")


def _school(school_id: int) -> School:
    context.require("transfer.handle", school_id)
    school = context.db().get(School, school_id)
    if school is None:
        abort(404)
    return school


def _key() -> str | None:
    return (request.form.get("key") or "").strip()[:80] or None


def _date(field: str) -> dt.date | None:
    raw = (request.form.get(field) or "").strip()
    if not raw:
        return None
    try:
        return date_limits.parse_date(raw)
    except date_limits.OutOfRange as exc:
        raise ValidationError({field: [str(exc)]}) from None
    except ValueError:
        raise ValidationError({field: ["must be a date (YYYY-MM-DD)"]}) from None


def _render(name: str, **kw):
    # ``read_document`` only presents a frozen package (no rules), so it is not in service
    return render_template(f"transition/{name}", labels=STATUS_LABELS, new_key=uuid.uuid4().hex,
                           rule_labels=service.RULE_LABELS, today=london_today(),
                           read_document=document.read, **kw)


@bp.route("/", methods=["GET"])
@login_required
def index(school_id: int):
    school = _school(school_id)
    s, a = context.db(), context.actor()
    return _render("index.html", school=school,
                   outgoing=service.outgoing(s, a, school_id),
                   inbox=service.inbox(s, a, school_id),
                   waiting=service.incoming_outstanding(s, school_id),
                   missing=service.missing_cases(s, school_id))


@bp.route("/transfers/<int:transfer_id>", methods=["GET"])
@login_required
def transfer(school_id: int, transfer_id: int):
    school = _school(school_id)
    s, a = context.db(), context.actor()
    side = service.load(s, a, school_id, transfer_id)
    t = side.transfer
    body = sha = sections = None
    packages = service.packages_of(s, t) if side.role == "sender" else []
    if side.role == "sender" and t.status in ("pending", "prepared", "failed"):
        sections = service.preview(s, a, school_id, t.id)
    if side.role == "receiver" or packages:
        body, sha = service.read_package(s, a, school_id, t.id)
    return _render("transfer.html", school=school, side=side.role, t=t, body=body, sha=sha,
                   sections=sections, packages=packages, events=service.events_of(s, t),
                   in_trust=side.role == "sender" and service.in_trust_destination(s, t))


def _back(school_id: int, transfer_id: int):
    return redirect(url_for("transition.transfer", school_id=school_id,
                            transfer_id=transfer_id))


@bp.route("/transfers/<int:transfer_id>/prepare", methods=["POST"])
@login_required
def prepare(school_id: int, transfer_id: int):
    _school(school_id)
    omissions = [{"section": v.split("|", 1)[0], "item": v.split("|", 1)[1] or None,
                  "reason": request.form.get(f"reason:{v}", "")}
                 for v in request.form.getlist("omit") if "|" in v]
    service.prepare(context.db(), context.actor(), school_id, transfer_id,
                    covering_note=request.form.get("covering_note", ""), omissions=omissions,
                    key=_key())
    return _back(school_id, transfer_id)


@bp.route("/transfers/<int:transfer_id>/send", methods=["POST"])
@login_required
def send(school_id: int, transfer_id: int):
    school = _school(school_id)
    s, a = context.db(), context.actor()
    if request.form.get("route") == "trust":
        service.send_in_trust(s, a, school_id, transfer_id, key=_key())
        return _back(school_id, transfer_id)
    export = service.export_bundle(s, a, school_id, transfer_id, key=_key())
    if export.passphrase is None:  # a retried request: the secret was shown the first time
        return _back(school_id, transfer_id)
    link = url_for("transition_public.download", token=export.token,
                   _external=True)
    return _render("exported.html", school=school, export=export, link=link,
                   transfer_id=transfer_id)


@bp.route("/transfers/<int:transfer_id>/bundles/<int:bundle_id>", methods=["GET"])
@login_required
def bundle_file(school_id: int, transfer_id: int, bundle_id: int):
    _school(school_id)
    b = service.sent_bundle(context.db(), context.actor(), school_id, transfer_id, bundle_id)
    return send_file(io.BytesIO(b.data), mimetype="application/octet-stream",
                     as_attachment=True, download_name=f"transfer-{transfer_id}.matbundle")


@bp.route("/transfers/<int:transfer_id>/failed", methods=["POST"])
@login_required
def failed(school_id: int, transfer_id: int):
    _school(school_id)
    service.mark_failed(context.db(), context.actor(), school_id, transfer_id,
                        request.form.get("reason", ""), key=_key())
    return _back(school_id, transfer_id)


@bp.route("/transfers/<int:transfer_id>/confirmation", methods=["POST"])
@login_required
def record_confirmation(school_id: int, transfer_id: int):
    _school(school_id)
    s, a = context.db(), context.actor()
    upload = request.files.get("receipt")
    if upload and upload.filename:
        service.record_receipt(s, a, school_id, transfer_id, upload.read(), key=_key())
    else:
        service.record_confirmation(
            s, a, school_id, transfer_id, confirmed_by=request.form.get("confirmed_by", ""),
            confirmed_on=_date("confirmed_on"), how=request.form.get("how", ""), key=_key())
    return _back(school_id, transfer_id)


@bp.route("/transfers/<int:transfer_id>/confirm", methods=["POST"])
@login_required
def confirm(school_id: int, transfer_id: int):
    _school(school_id)
    service.confirm_receipt(context.db(), context.actor(), school_id, transfer_id,
                            key=_key())
    return _back(school_id, transfer_id)


@bp.route("/transfers/<int:transfer_id>/accept", methods=["POST"])
@login_required
def accept(school_id: int, transfer_id: int):
    _school(school_id)
    yg = (request.form.get("year_group") or "").strip()
    if yg and not yg.lstrip("-").isdigit():
        raise ValidationError({"year_group": ["must be a whole number"]})
    rf = service.accept(context.db(), context.actor(), school_id, transfer_id,
                        on_roll_from=_date("on_roll_from"),
                        year_group=int(yg) if yg else None, key=_key())
    return redirect(url_for("transition.received", school_id=school_id, received_id=rf.id))


@bp.route("/transfers/<int:transfer_id>/reject", methods=["POST"])
@login_required
def reject(school_id: int, transfer_id: int):
    _school(school_id)
    service.reject(context.db(), context.actor(), school_id, transfer_id,
                   request.form.get("reason", ""), key=_key())
    return redirect(url_for("transition.index", school_id=school_id))


@bp.route("/cohort", methods=["GET", "POST"])
@login_required
def cohort_page(school_id: int):
    school = _school(school_id)
    s, a = context.db(), context.actor()
    result = None
    if request.method == "POST":
        result = service.prepare_cohort(s, a, school_id, request.form.get("covering_note", ""),
                                        send=request.form.get("send") == "yes")
    return _render("cohort.html", school=school, leavers=service.year6_leavers(s, school_id),
                   result=result)


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_bundle(school_id: int):
    school = _school(school_id)
    if request.method == "POST":
        upload = request.files.get("bundle")
        if not upload or not upload.filename:
            raise ValidationError({"bundle": ["choose the bundle file"]})
        rf = service.import_bundle(context.db(), context.actor(), upload.read(),
                                   request.form.get("passphrase", ""), school_id=school_id,
                                   on_roll_from=_date("on_roll_from"))
        return redirect(url_for("transition.received", school_id=school_id,
                                received_id=rf.id))
    return _render("import.html", school=school)


@bp.route("/received/<int:received_id>", methods=["GET"])
@login_required
def received(school_id: int, received_id: int):
    school = _school(school_id)
    row, body = service.read_received(context.db(), context.actor(), school_id, received_id)
    return _render("received.html", school=school, row=row, body=body)


@bp.route("/received/<int:received_id>/receipt.json", methods=["GET"])
@login_required
def receipt(school_id: int, received_id: int):
    _school(school_id)
    row, _ = service.read_received(context.db(), context.actor(), school_id, received_id)
    if not row.receipt:
        abort(404)
    return send_file(io.BytesIO(json.dumps(row.receipt, indent=2, sort_keys=True).encode()),
                     mimetype="application/json", as_attachment=True,
                     download_name=f"receipt-{row.package_sha256[:12]}.json")


@bp.route("/incoming", methods=["GET", "POST"])
@login_required
def incoming_list(school_id: int):
    school = _school(school_id)
    s, a = context.db(), context.actor()
    if request.method == "POST":
        pid = (request.form.get("pupil_id") or "").strip()
        if not pid.isdigit():
            raise ValidationError({"pupil_id": ["choose a pupil"]})
        service.expect_incoming(s, a, school_id, int(pid), request.form.get("previous_school", ""),
                                request.form.get("previous_urn"))
        return redirect(url_for("transition.incoming_list", school_id=school_id))
    return _render("incoming.html", school=school,
                   waiting=service.incoming_outstanding(s, school_id),
                   pupils=search_pupils(s, a, school_id, request.args.get("q", ""), limit=50))


@bp.route("/incoming/<int:incoming_id>", methods=["GET", "POST"])
@login_required
def incoming_one(school_id: int, incoming_id: int):
    school = _school(school_id)
    s, a = context.db(), context.actor()
    if request.method == "POST":
        if request.form.get("action") == "chase":
            service.chase_incoming(s, a, school_id, incoming_id, request.form.get("note", ""))
        else:
            f = request.files.get("attachment")
            data = f.read() if f and f.filename else None
            service.record_incoming_received(
                s, a, school_id, incoming_id, method=request.form.get("method", ""),
                note=request.form.get("note", ""), filename=f.filename if data else None,
                content_type=f.mimetype if data else None, data=data)
        return redirect(url_for("transition.incoming_one", school_id=school_id,
                                incoming_id=incoming_id))
    row, events = service.incoming_history(s, a, school_id, incoming_id)
    return _render("incoming_one.html", school=school, row=row, events=events,
                   methods=service.INCOMING_METHODS)


@bp.route("/incoming/<int:incoming_id>/attachments/<int:event_id>", methods=["GET"])
@login_required
def incoming_attachment(school_id: int, incoming_id: int, event_id: int):
    _school(school_id)
    ev = service.incoming_attachment(context.db(), context.actor(), school_id, incoming_id,
                                     event_id)
    return send_file(io.BytesIO(ev.data), mimetype=ev.content_type, as_attachment=True,
                     download_name=ev.filename or "file")


@bp.route("/missing/<int:case_id>", methods=["GET"])
@login_required
def missing_case(school_id: int, case_id: int):
    """A pupil off roll with no known destination: the LA notification and the enquiries."""
    school = _school(school_id)
    row, events = service.missing_history(context.db(), context.actor(), school_id, case_id)
    return _render("missing.html", school=school, row=row, events=events)


@bp.route("/missing/<int:case_id>/enquiry", methods=["POST"])
@login_required
def missing_enquiry(school_id: int, case_id: int):
    _school(school_id)
    service.record_missing_enquiry(context.db(), context.actor(), school_id, case_id,
                                   request.form.get("note", ""))
    return redirect(url_for("transition.missing_case", school_id=school_id, case_id=case_id))


@bp.route("/missing/<int:case_id>/notified", methods=["POST"])
@login_required
def missing_notified(school_id: int, case_id: int):
    _school(school_id)
    service.record_la_notified(context.db(), context.actor(), school_id, case_id,
                               notified_on=_date("notified_on"),
                               la_contact=request.form.get("la_contact", ""),
                               note=request.form.get("note", ""))
    return redirect(url_for("transition.missing_case", school_id=school_id, case_id=case_id))


@public_bp.route("/transition/download/<token>", methods=["GET", "POST"])
def download(token: str):
    s = context.db()
    try:
        link = service.check_link(s, token)
        if request.method == "POST":
            data, name = service.take_link(s, token)
            return send_file(io.BytesIO(data), mimetype="application/octet-stream",
                             as_attachment=True, download_name=name)
    except service.LinkRefused as exc:
        return render_template("error.html", code=410, message=str(exc)), 410
    return _render("download.html", expires_at=link.expires_at)
