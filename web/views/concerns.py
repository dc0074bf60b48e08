"""Recording a concern: the one page every member of staff uses, on a phone or a classroom PC.

Pick the pupil(s) by name, say when and where, what happened (fact), the child's own words and,
kept apart, any opinion; attach files. It works without JavaScript: the search button submits
the whole form, so nothing typed is lost; ``static/record.js`` searches as you type instead.
Staff then see their own records under "My concerns" (never the DSL's case file).
"""
from __future__ import annotations

import datetime as dt

import secrets

from flask import (Blueprint, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_login import login_required
from sqlalchemy import select, text
from werkzeug.datastructures import MultiDict

from core import audit, bodymap
from core import concerns as concern_service
from core.concerns import NewAttachment
from core.errors import ValidationError
from core.models import AuditEntry, Pupil
from core.models.pupils import YEAR_GROUPS
from core.policy import can
from core.pupils import search_pupils
from web import context
from web.apis.schemas import LONG_TEXT
from web.formlimits import keeps_long_text, too_long_message
from web.pages import school_for
from web.views import concern_list
from web.views.forms import Form, body_map_from, local_input

bp = Blueprint("concerns", __name__)
TEXTS = ("fact", "child_words", "opinion")  # each up to LONG_TEXT characters, as in the API
TOKEN_USED = "concern.form_token_used"  # the audit line that consumes a form's one-time token


def _pupil_rows(pupils: list[Pupil]) -> list[dict]:
    return [{"id": p.id, "name": p.display_name, "year": YEAR_GROUPS.get(p.year_group, ""),
             "legal_name": f"{p.first_name} {p.last_name}"} for p in pupils]


def _chosen(school_id: int, ids: list[int]) -> list[Pupil]:
    if not ids:
        return []
    return list(context.db().scalars(select(Pupil).where(
        Pupil.school_id == school_id, Pupil.id.in_(ids)).order_by(Pupil.last_name)))


def _render(school, form: Form, status: int = 200):
    s, a = context.db(), context.actor()
    chosen_ids = form.integers("pupil_ids")
    chosen = _chosen(school.id, chosen_ids)
    q = (form.data.get("q") or "").strip()
    results = []
    if q and can(a, "pupil.search", school.id):
        try:
            results = [p for p in search_pupils(s, a, school.id, q, limit=15)
                       if p.id not in chosen_ids]
        except ValidationError as exc:  # a search too long: said beside it, the form kept
            form.add_error("q", exc.errors["q"][0])
            status = 422
    values = form.values.copy()
    if not values.get("form_token"):  # kept through searches and corrections, used once
        values["form_token"] = secrets.token_urlsafe(18)
    return render_template(
        "concerns/record.html", school=school, form=form, values=values, long_text=LONG_TEXT,
        regions=bodymap.REGIONS, views=bodymap.VIEWS,
        errors=form.errors, chosen=_pupil_rows(chosen), results=_pupil_rows(results), q=q,
        categories=concern_service.categories(s, school.trust_id),
        chosen_categories=set(form.integers("category_ids")),
        max_mb=current_app.config["MAT_SETTINGS"].max_attachment_bytes // (1024 * 1024)), status


@bp.route("/schools/<int:school_id>/concerns/new", methods=["GET", "POST"])
@login_required
@keeps_long_text
def record(school_id: int):
    school = school_for("concern.record", school_id)
    if request.method == "GET":
        data = MultiDict(request.args)
        for pid in request.args.getlist("pupil_id"):  # links from a pupil's page preselect
            data.add("pupil_ids", pid)
        data.setdefault("occurred_at", local_input(dt.datetime.now(dt.timezone.utc)))
        return _render(school, Form(data))
    form = Form(request.form)
    if request.too_long:  # a text over the 500 KB a field may hold: its start is kept
        for name, sent in request.too_long.items():
            form.add_error(name, too_long_message(name, sent, LONG_TEXT))
        return _render(school, form, 413)
    if request.form.get("action") != "record":
        return _render(school, form)  # "search" / "remove": show the form again, all kept
    token = (request.form.get("form_token") or "")[:60]
    if token and (first := _recorded_with(school_id, token)) is not None:
        flash("This form was sent twice: the concern was recorded once, and here it is.",
              "success")
        return redirect(url_for("casefile.concern", school_id=school_id, concern_id=first,
                                recorded=1))
    for name in TEXTS:  # a line break counts once, as in the page's counter (browsers send CRLF)
        if len((form.data.get(name) or "").strip().replace("\r\n", "\n")) > LONG_TEXT:
            form.add_error(name, f"is too long: the limit is {LONG_TEXT:,} characters")
    # a date that does not parse leaves occurred_at None, which the service refuses too: so
    # the service always runs and every other field's message shows at the same time
    occurred_at = form.local_datetime("occurred_at", required=True)
    files = [f for f in request.files.getlist("attachments") if f and f.filename]
    attachments = [NewAttachment(f.filename, f.mimetype or "application/octet-stream", f.read())
                   for f in files]
    try:
        with context.db().begin_nested():
            concern = concern_service.record_concern(
                context.db(), context.actor(), school_id, occurred_at=occurred_at,
                pupil_ids=form.integers("pupil_ids"), fact=form.text("fact"),
                location=form.text("location"), category_ids=form.integers("category_ids"),
                child_words=form.text("child_words"), opinion=form.text("opinion"),
                attachments=attachments, body_map=body_map_from(request.form),
                max_attachment_bytes=current_app.config["MAT_SETTINGS"].max_attachment_bytes)
    except ValidationError as exc:
        form.absorb(exc, keep_own=True)
    if form.errors:
        if attachments:  # a browser cannot refill a file input: say so beside it
            form.add_error("attachments", "choose the file(s) again before you save")
        return _render(school, form, 422)
    if token:
        audit.record(context.db(), TOKEN_USED, actor=context.actor(), object_type="concern_form",
                     object_id=token, school_id=school_id, detail={"concern_id": concern.id})
    return redirect(url_for("casefile.concern", school_id=school_id, concern_id=concern.id,
                            recorded=1))


def _recorded_with(school_id: int, token: str) -> int | None:
    """The concern this person already recorded with the form's one-time token, if any.

    A form sent twice (a double tap, a retry after a slow answer, the back button) carries
    the same token. On PostgreSQL a lock on the token makes a second request wait until the
    first has committed or rolled back, so it then sees the first's audit line."""
    s = context.db()
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:t))"),
                  {"t": "concern-form:" + token})
    line = s.scalars(select(AuditEntry).where(
        AuditEntry.action == TOKEN_USED, AuditEntry.object_type == "concern_form",
        AuditEntry.object_id == token, AuditEntry.user_id == context.actor().user_id,
        AuditEntry.school_id == school_id)
        .order_by(AuditEntry.id).limit(1)).first()
    return int(line.detail["concern_id"]) if line is not None else None


@bp.route("/schools/<int:school_id>/concerns/pupil-search")
@login_required
def pupil_search(school_id: int):
    """JSON for the search-as-you-type enhancement of the record page."""
    context.require("concern.record", school_id)
    q = (request.args.get("q") or "").strip()
    if len(q) < 2:
        return jsonify(pupils=[])
    try:
        pupils = search_pupils(context.db(), context.actor(), school_id, q, limit=15)
    except ValidationError as exc:
        return jsonify(pupils=[], errors=exc.errors), 422
    return jsonify(pupils=_pupil_rows(pupils))


@bp.route("/schools/<int:school_id>/concerns/mine")
@login_required
def mine(school_id: int):
    """The concerns this person recorded (their own records only; no case-file detail)."""
    school = school_for("concern.record", school_id)
    return concern_list.render(school, "concerns.mine", "concerns/mine.html", mine=True)
