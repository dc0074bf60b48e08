"""The DSL team's concern pages: the list, one concern's record and its entries in order, and
the forms that append to it (triage, action, decision, referral, outcome, amendment, note,
closure, reopen). Entries are never edited: a correction is an amendment. The member of staff
who recorded a concern may open their own record (without the team's entries)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from core import bodymap, concern_actions
from core import concerns as concern_service
from core.errors import ValidationError
from core.models import User
from core.models.concerns import ENTRY_KINDS, REFERRAL_LABELS, RISK_LEVELS
from core.policy import can
from web import context
from web.apis.schemas import LONG_TEXT
from web.pages import download, school_for
from web.views import concern_list
from web.views.forms import Form, body_map_from, uploaded_files

bp = Blueprint("casefile", __name__)
STATUSES = {"awaiting_triage": "Awaiting triage", "open": "Open", "closed": "Closed"}
KIND_LABELS = {"triage": "Triage", "action": "Set an action", "action_done": "Action done",
               "decision": "Decision", "referral": "Referral", "outcome": "Referral outcome",
               "amendment": "Amendment", "note": "Note", "closure": "Close the concern",
               "reopened": "Reopen the concern"}
# what each form's button says (the labels above are headings: "Add set an action" is not)
KIND_BUTTONS = {"triage": "Add triage", "action": "Set the action",
                "action_done": "Record the action as done", "decision": "Record the decision",
                "referral": "Record the referral", "outcome": "Record the outcome",
                "amendment": "Add the amendment", "note": "Add the note",
                "closure": "Close the concern", "reopened": "Reopen the concern"}


@bp.route("/schools/<int:school_id>/concerns")
@login_required
def concerns(school_id: int):
    """The school's concerns: searched (``q``), filtered, a page at a time, newest first."""
    school = school_for("casefile.read", school_id)
    return concern_list.render(school, "casefile.concerns", "casefile/list.html",
                               statuses=STATUSES)


@bp.route("/schools/<int:school_id>/concerns.csv")
@login_required
def export(school_id: int):
    """The filtered list as CSV, for the DSL team (audited with its filters and count)."""
    return concern_list.export(school_for("casefile.read", school_id), STATUSES)


def _render(school_id: int, concern_id: int, failed_kind: str | None = None,
            form: Form | None = None, status: int = 200):
    """The concern page; after a refused entry, that entry's form is open with what was
    typed and a message beside each bad field."""
    s, a = context.db(), context.actor()
    school = school_for("school.view", school_id)
    view = concern_service.get_concern(s, a, school_id, concern_id)
    authors = {e.author_id for e in view.entries} | {view.concern.recorded_by_id} | {
        e.owner_id for e in view.entries}
    names = dict(s.execute(select(User.id, User.name).where(User.id.in_(
        [i for i in authors if i is not None]))).all())
    done = {e.refers_to_id for e in view.entries if e.kind == "action_done"}
    answered = {e.refers_to_id for e in view.entries if e.kind == "outcome"}
    full = can(a, "casefile.read", school_id)
    open_actions = [e for e in view.entries if e.kind == "action" and e.id not in done]
    referrals = [e for e in view.entries if e.kind == "referral"]
    options = {
        "risk_options": [(r, r.title()) for r in RISK_LEVELS],
        "category_options": [(c.id, c.label) for c in concern_service.categories(
            s, school.trust_id)] if view.can_write else [],
        "action_options": [(e.id, f"E{e.id}: {e.body[:60]} (due {e.due_date:%d %b})")
                           for e in open_actions],
        "referral_options": list(REFERRAL_LABELS.items()),
        "outcome_options": [(e.id, f"E{e.id}: {REFERRAL_LABELS.get(e.referral_to, '')}"
                             + (" (answered)" if e.id in answered else ""))
                            for e in referrals],
        "amend_options": [(e.id, f"E{e.id}: {KIND_LABELS[e.kind]}") for e in view.entries],
    }
    if view.can_write:
        options["owner_options"] = concern_actions.owner_choices(s, school_id)
    files = {}
    for att in view.attachments:
        files.setdefault(att.entry_id, []).append(att)
    return render_template(
        "casefile/concern.html", school=school, view=view, names=names, full=full,
        files=files, me=a.user_id, regions=bodymap.REGIONS, views=bodymap.VIEWS,
        describe_marks=bodymap.describe,
        open_actions=open_actions, referrals=referrals, referral_labels=REFERRAL_LABELS,
        kind_labels=KIND_LABELS, kind_buttons=KIND_BUTTONS, long_text=LONG_TEXT, **options,
        statuses=STATUSES, failed_kind=failed_kind,
        recorded=request.args.get("recorded") == "1" and view.concern.recorded_by_id == a.user_id,
        values=form.values if form else MultiDict(), errors=form.errors if form else {}), status


@bp.route("/schools/<int:school_id>/concerns/<int:concern_id>")
@login_required
def concern(school_id: int, concern_id: int):
    return _render(school_id, concern_id)


@bp.route("/schools/<int:school_id>/concerns/<int:concern_id>/entries", methods=["POST"])
@login_required
def add_entry(school_id: int, concern_id: int):
    context.require("casefile.write", school_id)
    form = Form(request.form)
    kind = form.choice("kind", ENTRY_KINDS, required=True)
    if kind is None:
        abort(400, description="Choose what kind of entry to add.")
    due = form.date("due_date", required=kind == "action")
    category_id = form.integer("category_id")
    refers_to_id = form.integer("refers_to_id")
    owner_id = form.integer("owner_id") if kind == "action" else None
    # the API's limit; a line break counts once, as the page's counter counts it
    if len(form.text("body").replace("\r\n", "\n")) > LONG_TEXT:
        form.add_error("body", f"is too long: the limit is {LONG_TEXT:,} characters")
    if not form.errors:
        try:
            with context.db().begin_nested():
                concern_service.add_entry(
                    context.db(), context.actor(), school_id, concern_id, kind,
                    body=form.text("body"),
                    risk_level=form.text("risk_level") or None if kind == "triage" else None,
                    category_id=category_id, due_date=due,
                    referral_to=form.text("referral_to") or None if kind == "referral" else None,
                    refers_to_id=refers_to_id, owner_id=owner_id,
                    body_map=body_map_from(request.form),
                    attachments=uploaded_files(request.files))
        except ValidationError as exc:
            form.absorb(exc)
    if form.errors:
        return _render(school_id, concern_id, kind, form, 422)
    flash(f"{KIND_LABELS[kind]} added.", "success")
    return redirect(url_for("casefile.concern", school_id=school_id, concern_id=concern_id)
                    + "#entries")


@bp.route("/schools/<int:school_id>/concerns/<int:concern_id>/attachments/<int:attachment_id>")
@login_required
def attachment(school_id: int, concern_id: int, attachment_id: int):
    """Download an attachment (same access as the concern; every download is audited)."""
    context.require("school.view", school_id)
    att = concern_service.get_attachment(context.db(), context.actor(), school_id, concern_id,
                                         attachment_id)
    return download(att.data, att.filename, att.content_type)



@bp.route("/me/actions")
@login_required
def my_actions():
    """The actions this person owns, in every school they work in, soonest due first."""
    rows = concern_actions.my_actions(context.db(), context.actor(),
                                      include_done=request.args.get("show") == "all")
    return render_template("casefile/my_actions.html", rows=rows,
                           show_all=request.args.get("show") == "all")


@bp.route("/schools/<int:school_id>/actions/<int:entry_id>/done", methods=["POST"])
@login_required
def action_done(school_id: int, entry_id: int):
    """The owner (or the DSL team) records an action as done, with what was done."""
    context.require("concern.record", school_id)
    form = Form(request.form)
    try:
        with context.db().begin_nested():
            concern_actions.complete_action(context.db(), context.actor(), school_id, entry_id,
                                            form.text("body"))
    except ValidationError as exc:
        flash("The action was not recorded as done: " + "; ".join(
            m for msgs in exc.errors.values() for m in msgs), "error")
        return redirect(url_for("casefile.my_actions")), 303
    flash("Action recorded as done.", "success")
    return redirect(url_for("casefile.my_actions")), 303
