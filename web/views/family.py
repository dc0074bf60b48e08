"""The pupil page's family section (the DSL team): link a relative found by name in any school
of the trust, end a link (kept, with the day it ended), and confirm or dismiss a suggested
link (pupils sharing an address). A relative at another school shows as name, year group and
school only. The section is drawn by :func:`page_data` into ``pupils/pupil.html``; a form
that fails comes back on the pupil page with its errors."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required
from sqlalchemy.orm import Session

from core import families
from core.errors import ValidationError
from core.policy import Actor, can
from web import context
from web.views.forms import Form

bp = Blueprint("family", __name__)
PREFIX = "/schools/<int:school_id>/pupils/<int:pupil_id>/family"


def page_data(s: Session, a: Actor, school_id: int, pupil_id: int,
              form: Form | None = None, which: str = "") -> dict:
    """What ``pupils/_family.html`` shows: the links; for the DSL team also the suggestions,
    the relatives found by the ``family_q`` search, and a failed form's values and errors."""
    can_write = can(a, "casefile.write", school_id)
    data = {"family": families.family(s, a, school_id, pupil_id),
            "relation_labels": families.RELATION_LABELS, "family_can_write": can_write,
            "family_suggestions": [], "family_found": None, "family_q": "",
            "family_values": form.values if form else {},
            "family_errors": form.errors if form else {}, "family_which": which}
    if not can_write:
        return data
    data["family_suggestions"] = families.suggestions(s, a, school_id, pupil_id)
    q = (request.args.get("family_q") or (form.values.get("family_q") if form else "") or "")
    q = q.strip()[:100]
    data["family_q"] = q
    if q:
        try:
            data["family_found"] = families.find_relatives(s, a, school_id, pupil_id, q)
        except ValidationError as exc:
            data["family_errors"] = {**data["family_errors"], "family_q": exc.errors["q"]}
            data["family_which"] = data["family_which"] or "search"
    return data


def _back(school_id: int, pupil_id: int):
    return redirect(url_for("pupils.pupil", school_id=school_id, pupil_id=pupil_id) + "#family")


def _failed(school_id: int, pupil_id: int, form: Form, which: str):
    from web.views.pupils import _render  # the pupil page draws this section

    return _render(school_id, pupil_id, status=422, family_form=form, family_which=which)


@bp.route(PREFIX, methods=["POST"], endpoint="add")
@login_required
def add(school_id: int, pupil_id: int):
    """Link the pupil to a relative chosen from the search or a suggestion."""
    context.require("casefile.write", school_id)
    form = Form(request.form)
    related = form.integer("related_pupil_id")
    if related is None and "related_pupil_id" not in form.errors:
        form.add_error("related_pupil_id", "choose the relative from the search results")
    relation = form.choice("relation", families.RELATION_LABELS, required=True)
    which = form.text("which") if form.text("which") in ("add", "suggest") else "add"
    link = None
    if not form.errors:
        try:
            with context.db().begin_nested():
                link = families.add_link(context.db(), context.actor(), school_id, pupil_id,
                                         related, relation)
        except ValidationError as exc:
            form.absorb(exc)
    if form.errors:
        return _failed(school_id, pupil_id, form, which)
    flash(f"Family link added ({families.RELATION_LABELS[link.relation].lower()}).", "success")
    return _back(school_id, pupil_id)


@bp.route(PREFIX + "/<int:link_id>/end", methods=["POST"], endpoint="end")
@login_required
def end(school_id: int, pupil_id: int, link_id: int):
    """End a link from a date (today by default), with a reason; the link is kept."""
    context.require("casefile.write", school_id)
    form = Form(request.form)
    day = form.date("ended_on")
    reason = form.text("reason", max_len=families.MAX_REASON)
    if not form.errors:
        try:
            with context.db().begin_nested():
                families.end_link(context.db(), context.actor(), school_id, pupil_id, link_id,
                                  day, reason)
        except ValidationError as exc:
            form.absorb(exc, {"link": "ended_on"})
    if form.errors:
        return _failed(school_id, pupil_id, form, f"end-{link_id}")
    flash("Family link ended. It stays in the pupil's record as ended.", "success")
    return _back(school_id, pupil_id)


@bp.route(PREFIX + "/suggestions/<int:related_pupil_id>/dismiss", methods=["POST"],
          endpoint="dismiss")
@login_required
def dismiss(school_id: int, pupil_id: int, related_pupil_id: int):
    """Say a suggested pupil is not family: they are not suggested again."""
    context.require("casefile.write", school_id)
    try:
        with context.db().begin_nested():
            families.dismiss_suggestion(context.db(), context.actor(), school_id, pupil_id,
                                        related_pupil_id)
    except ValidationError as exc:
        form = Form(request.form)
        form.absorb(exc)
        return _failed(school_id, pupil_id, form, "suggest")
    flash("Suggestion dismissed: it will not be suggested again.", "success")
    return _back(school_id, pupil_id)
