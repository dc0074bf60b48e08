"""Converging signals pages: a school's alerts awaiting the DSL's decision, one alert with
every indicator behind it and the decision form, and for the trust safeguarding lead the
trust's firings, a family across schools and the rules' numbers. The rules, the walls and the
audit are core's (:mod:`core.signals`); these pages only draw and collect.

Also a template helper, ``converging_signals(school_id, pupil_id=None)``, which the DSL
dashboard and the pupil page include: the open alerts for a case-file reader, nothing for
anyone else."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from core.calendar import london_today
from core.errors import ValidationError
from core.policy import can
from core.signals import rules as signal_rules
from core.signals import service
from core.signals.models import OUTCOMES
from web import context
from web.pages import school_for, trust_for
from web.views.forms import Form

bp = Blueprint("signals", __name__)
SCHOOL = "/schools/<int:school_id>/signals"
TRUST = "/trust/<int:trust_id>/signals"
RELATIVE_KINDS = service.RELATIVE_KINDS


@bp.app_context_processor
def _helpers():
    def converging_signals(school_id: int, pupil_id: int | None = None) -> list:
        a = context.actor()
        if not can(a, "casefile.read", school_id):
            return []
        return service.open_firings(context.db(), a, school_id, pupil_id, limit=20)
    def signals_trust_view(trust_id: int) -> bool:
        return can(context.actor(), "signals.family", trust_id=trust_id)
    return {"converging_signals": converging_signals, "signal_relative_kinds": RELATIVE_KINDS,
            "signals_trust_view": signals_trust_view}


@bp.route(SCHOOL, endpoint="index")
@login_required
def index(school_id: int):
    """The school's converging-signals alerts awaiting a decision."""
    school = school_for("casefile.read", school_id)
    rows = service.open_firings(context.db(), context.actor(), school_id)
    return render_template("signals/index.html", school=school, rows=rows, outcomes=OUTCOMES)


def _firing_page(school_id: int, firing_id: int, form: Form | None = None, status: int = 200):
    school = school_for("casefile.read", school_id)
    a = context.actor()
    view = service.firing(context.db(), a, school_id, firing_id)
    newest = service.store.latest_firing(context.db(), school_id, view.firing.pattern_key)
    latest = newest is not None and newest.id == view.firing.id
    decided = view.decided and service.store.stands(view.decisions[-1], london_today())
    return render_template(
        "signals/firing.html", school=school, view=view, outcomes=OUTCOMES,
        can_decide=can(a, "casefile.write", school_id) and latest and not decided,
        values=form.values if form else {}, errors=form.errors if form else {}), status


@bp.route(SCHOOL + "/<int:firing_id>", endpoint="firing")
@login_required
def firing(school_id: int, firing_id: int):
    """One alert: the rule, every indicator behind it with dates and links, linked children
    elsewhere (name, school, whom to call), the decisions so far and the decision form."""
    return _firing_page(school_id, firing_id)


@bp.route(SCHOOL + "/<int:firing_id>/decisions", methods=["POST"], endpoint="decide")
@login_required
def decide(school_id: int, firing_id: int):
    """The DSL team records what they decided and why."""
    school_for("casefile.write", school_id)
    form = Form(request.form)
    outcome = form.text("outcome", required=True, max_len=30)
    reason = form.text("reason", required=True, max_len=service.MAX_REASON)
    review_on = form.date("review_on")
    if not form.errors:
        try:
            with context.db().begin_nested():
                service.decide(context.db(), context.actor(), school_id, firing_id,
                               outcome=outcome, reason=reason, review_on=review_on)
        except ValidationError as exc:
            form.absorb(exc)
    if form.errors:
        return _firing_page(school_id, firing_id, form, 422)
    flash("Decision recorded. This pattern will alert again only if a new indicator "
          "arrives" + (" or on the review date." if review_on else "."), "success")
    if outcome == "raise_concern":
        view = service.firing(context.db(), context.actor(), school_id, firing_id)
        return redirect(url_for("concerns.record", school_id=school_id,
                                pupil_id=view.firing.pupil_id))
    return redirect(url_for("signals.firing", school_id=school_id, firing_id=firing_id))


# --- the trust safeguarding lead ------------------------------------------------------------

@bp.route(TRUST, endpoint="trust_index")
@login_required
def trust_index(trust_id: int):
    """The trust's latest firings across its schools."""
    trust = trust_for("signals.family", trust_id)
    rows = service.trust_firings(context.db(), context.actor(), trust_id)
    return render_template("signals/trust.html", trust=trust, rows=rows,
                           label=service.store.rule_label,
                           can_tune=service.can_tune(context.actor(), trust_id))


@bp.route(TRUST + "/<int:firing_id>/family", endpoint="family")
@login_required
def family(trust_id: int, firing_id: int):
    """A firing's whole family across the trust's schools, with each child's indicators
    (audited)."""
    trust = trust_for("signals.family", trust_id)
    view = service.family_view(context.db(), context.actor(), trust_id, firing_id)
    return render_template("signals/family.html", trust=trust, view=view)


def _rules_page(trust_id: int, form: Form | None = None, status: int = 200):
    trust = trust_for("signals.rules", trust_id)
    current = signal_rules.rules_for(context.db(), trust_id)
    values = form.values if form else {}
    return render_template("signals/rules.html", trust=trust, rules=current,
                           defaults=signal_rules.DEFAULT_RULES, tunable=signal_rules.TUNABLE,
                           values=values, errors=form.errors if form else {}), status


@bp.route(TRUST + "/rules", methods=["GET", "POST"], endpoint="rules")
@login_required
def rules(trust_id: int):
    """The trust lead tunes the rules' numbers and switches them on or off (audited)."""
    if request.method == "GET":
        return _rules_page(trust_id)
    trust_for("signals.rules", trust_id)
    form = Form(request.form)
    try:
        with context.db().begin_nested():
            signal_rules.save_rules(context.db(), trust_id, request.form.to_dict())
    except ValidationError as exc:
        form.absorb(exc)
        return _rules_page(trust_id, form, 422)
    flash("Rules saved for every school of the trust; tonight's evaluation uses them.",
          "success")
    return redirect(url_for("signals.rules", trust_id=trust_id))
