"""Suggested family links (core.family_suggestions) for the people who decide them: a school's
DSL team sees its own pupils' suggestions (a child at another school only as "a child at
<school>" with that school's DSLs) and confirms or dismisses each with a reason; the trust
safeguarding lead sees both children of every suggestion of the trust and may confirm a
cross-school one alone. The rules are core's; these pages only draw and collect."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from core import family_suggestions as fs
from core.errors import ValidationError
from core.families import RELATION_LABELS
from core.models import FamilySuggestion, Trust
from core.policy import can
from web import context
from web.pages import school_for
from web.views.forms import Form

bp = Blueprint("family_suggestions", __name__)
SCHOOL = "/schools/<int:school_id>/family-suggestions"
TRUST = "/trust/<int:trust_id>/family-suggestions"


def _school_page(school_id: int, form: Form | None = None, which: int | None = None,
                 status: int = 200):
    school = school_for("casefile.write", school_id)
    items = fs.for_school(context.db(), context.actor(), school_id)
    return render_template("family_suggestions/school.html", school=school, items=items,
                           relations=RELATION_LABELS, max_reason=fs.MAX_REASON,
                           values=form.values if form else {},
                           errors=form.errors if form else {}, which=which), status


def _lead_trusts() -> list[int]:
    a = context.actor()
    trusts = [t for t in sorted(a.trust_roles)
              if a.mfa and can(a, "family.link", trust_id=t)]
    if not trusts:
        abort(404)
    return trusts


def _trust_page(trust_id: int, form: Form | None = None, which: int | None = None,
                status: int = 200):
    if trust_id not in _lead_trusts():
        abort(404)
    trust = context.db().get(Trust, trust_id)
    items = fs.for_trust(context.db(), context.actor(), trust_id)
    return render_template("family_suggestions/trust.html", trust=trust, items=items,
                           relations=RELATION_LABELS, max_reason=fs.MAX_REASON,
                           values=form.values if form else {},
                           errors=form.errors if form else {}, which=which), status


def _decide(suggestion_id: int, confirm: bool, **where) -> Form:
    """Confirm or dismiss from a posted form; the form carries any errors."""
    form = Form(request.form)
    reason = form.text("reason", required=not confirm, max_len=fs.MAX_REASON)
    relation = form.choice("relation", RELATION_LABELS) if confirm else None
    if confirm and not relation and "relation" not in form.errors:
        form.add_error("relation", "is required: choose how they are related")
    if not form.errors:
        try:
            with context.db().begin_nested():
                if confirm:
                    fs.confirm(context.db(), context.actor(), suggestion_id, relation, reason,
                               **where)
                else:
                    fs.dismiss(context.db(), context.actor(), suggestion_id, reason, **where)
        except ValidationError as exc:
            form.absorb(exc)
    return form


def _flash_result(suggestion_id: int, confirm: bool) -> None:
    if not confirm:
        flash("Suggestion dismissed with your reason. It comes back only if the evidence "
              "changes.", "success")
        return
    row = context.db().get(FamilySuggestion, suggestion_id)
    if row is not None and row.status == "linked":
        flash("Confirmed: the children are now linked as family.", "success")
    else:
        flash("Confirmed for your school. The link is made once the other school's DSL "
              "(or the trust safeguarding lead) confirms too.", "info")


@bp.route(SCHOOL, endpoint="school")
@login_required
def school(school_id: int):
    """The school's open suggestions, for its DSL team."""
    return _school_page(school_id)


@bp.route(SCHOOL + "/<int:suggestion_id>/<any(confirm, dismiss):decision>",
          methods=["POST"], endpoint="school_decide")
@login_required
def school_decide(school_id: int, suggestion_id: int, decision: str):
    """A DSL confirms (with the relation) or dismisses (with a reason) for their school."""
    context.require("casefile.write", school_id)
    form = _decide(suggestion_id, decision == "confirm", school_id=school_id)
    if form.errors:
        return _school_page(school_id, form, suggestion_id, 422)
    _flash_result(suggestion_id, decision == "confirm")
    return redirect(url_for("family_suggestions.school", school_id=school_id))


@bp.route("/trust/family-suggestions", endpoint="trust_index")
@login_required
def trust_index():
    """The trust safeguarding lead's list (their first trust; ``?trust=`` for another)."""
    trusts = _lead_trusts()
    chosen = Form(request.args).integer("trust") or trusts[0]
    return _trust_page(chosen)


@bp.route(TRUST + "/<int:suggestion_id>/<any(confirm, dismiss):decision>",
          methods=["POST"], endpoint="trust_decide")
@login_required
def trust_decide(trust_id: int, suggestion_id: int, decision: str):
    """The trust lead confirms (links at once) or dismisses a suggestion of the trust."""
    if trust_id not in _lead_trusts():
        abort(404)
    form = _decide(suggestion_id, decision == "confirm", trust_id=trust_id)
    if form.errors:
        return _trust_page(trust_id, form, suggestion_id, 422)
    _flash_result(suggestion_id, decision == "confirm")
    return redirect(url_for("family_suggestions.trust_index", trust=trust_id))
