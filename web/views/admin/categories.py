"""Admin for a trust (trust admins): its concern categories, its trust-wide people and its
settings (the dashboard's "open too long", how deadlines given in days are counted). Categories are added, renamed or switched off, never deleted, so every
old concern keeps the category it was recorded with."""
from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from core import accounts, audit
from core import concerns as concern_service
from core.models import ConcernCategory, Membership, Trust, User
from core.models.people import ROLE_LABELS, TRUST_ROLES
from core.schools import (DAY_COUNTS, deadline_day_count, set_deadline_day_count,
                          set_trust_setting, trust_setting)
from web import context
from web.views.admin import bp
from web.views.admin.schools import admin_trusts
from web.views.forms import Form

DASHBOARD_DEFAULTS = {"open_too_long_days": 28}


def _trust_or_404(trust_id: int) -> Trust:
    if trust_id not in admin_trusts():
        abort(404)
    trust = context.db().get(Trust, trust_id)
    if trust is None:
        abort(404)
    return trust


def render_trust(trust_id: int, failed: str | None = None, form: Form | None = None,
                 status: int = 200):
    trust = _trust_or_404(trust_id)
    s = context.db()
    people = s.execute(select(Membership, User).join(User, User.id == Membership.user_id)
                       .where(Membership.trust_id == trust_id, Membership.school_id.is_(None))
                       .order_by(User.name)).all()
    return render_template(
        "admin/trust.html", trust=trust, failed=failed,
        values=form.values if form else MultiDict(), errors=form.errors if form else {},
        categories=concern_service.categories(s, trust_id, include_inactive=True),
        people=people, roles=[(r, ROLE_LABELS[r]) for r in TRUST_ROLES],
        waiting=accounts.waiting_for_password(s, {u.id for _, u in people}),
        role_labels=ROLE_LABELS, me=context.actor().user_id,
        day_counts=list(DAY_COUNTS.items()),
        dashboard={**trust_setting(s, trust_id, "dashboard", DASHBOARD_DEFAULTS),
                   "deadline_days": deadline_day_count(s, trust_id)}), status


@bp.route("/trusts/<int:trust_id>")
@login_required
def trust(trust_id: int):
    return render_trust(trust_id)


def _code_for(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:40] or "category"


@bp.route("/trusts/<int:trust_id>/categories", methods=["POST"])
@login_required
def add_category(trust_id: int):
    _trust_or_404(trust_id)
    s = context.db()
    form = Form(request.form)
    label = form.text("label", required=True, max_len=120)
    existing = {c.label.lower(): c for c in concern_service.categories(
        s, trust_id, include_inactive=True)}
    if label and label.lower() in existing:
        form.add_error("label", f"the trust already has a category called {label!r}"
                       + ("" if existing[label.lower()].active else " (switched off: "
                          "switch it back on instead)"))
    if form.errors:
        return render_trust(trust_id, "category", form, 422)
    code, n = _code_for(label), 1
    codes = set(s.scalars(select(ConcernCategory.code).where(ConcernCategory.trust_id == trust_id)))
    while code in codes:  # a renamed category keeps its old code; do not collide with it
        n += 1
        code = f"{_code_for(label)[:36]}_{n}"
    position = (s.scalar(select(func.max(ConcernCategory.position))
                         .where(ConcernCategory.trust_id == trust_id)) or 0) + 1
    cat = ConcernCategory(trust_id=trust_id, code=code, label=label, position=position)
    s.add(cat)
    s.flush()
    audit.record(s, "category.added", actor=context.actor(), object_type="concern_category",
                 object_id=cat.id, trust_id=trust_id, detail={"label": label})
    flash(f"Category {label!r} added.", "success")
    return redirect(url_for("admin.trust", trust_id=trust_id) + "#categories")


@bp.route("/trusts/<int:trust_id>/categories/<int:category_id>", methods=["POST"])
@login_required
def change_category(trust_id: int, category_id: int):
    """Rename a category, or switch it off / on (off: no longer offered for new concerns)."""
    _trust_or_404(trust_id)
    s = context.db()
    cat = s.get(ConcernCategory, category_id)
    if cat is None or cat.trust_id != trust_id:
        abort(404)
    form = Form(request.form)
    op = form.choice("op", ("rename", "deactivate", "activate"), required=True)
    before = cat.label
    if op == "rename":
        label = form.text("label", required=True, max_len=120)
        clash = s.scalar(select(ConcernCategory.id).where(
            ConcernCategory.trust_id == trust_id,
            func.lower(ConcernCategory.label) == label.lower(),
            ConcernCategory.id != cat.id))
        if label and clash:
            form.add_error("label", f"the trust already has a category called {label!r}")
    if form.errors:
        form.data = MultiDict({**form.data.to_dict(), "category_id": str(category_id)})
        return render_trust(trust_id, f"category-{category_id}", form, 422)
    if op == "rename":
        cat.label = label
    else:
        cat.active = op == "activate"
    s.flush()
    audit.record(s, f"category.{op}d" if op != "rename" else "category.renamed",
                 actor=context.actor(), object_type="concern_category", object_id=cat.id,
                 trust_id=trust_id, detail={"before": before, "label": cat.label,
                                            "active": cat.active})
    flash(f"Category {cat.label!r} " + {"rename": "renamed", "deactivate": "switched off",
                                        "activate": "switched back on"}[op] + ".", "success")
    return redirect(url_for("admin.trust", trust_id=trust_id) + "#categories")


@bp.route("/trusts/<int:trust_id>/settings", methods=["POST"])
@login_required
def settings(trust_id: int):
    _trust_or_404(trust_id)
    form = Form(request.form)
    days = form.integer("open_too_long_days", required=True)
    if days is not None and not 1 <= days <= 365:
        form.add_error("open_too_long_days", "must be between 1 and 365 days")
    count = form.choice("deadline_days", DAY_COUNTS)  # left out: unchanged
    if form.errors:
        return render_trust(trust_id, "settings", form, 422)
    s = context.db()
    set_trust_setting(s, trust_id, "dashboard", {"open_too_long_days": days})
    if count is not None and count != deadline_day_count(s, trust_id):
        set_deadline_day_count(s, trust_id, count)
    flash(f"Dashboards now list concerns open more than {days} days; transfer deadlines are "
          f"counted in {DAY_COUNTS[deadline_day_count(s, trust_id)]}.", "success")
    return redirect(url_for("admin.trust", trust_id=trust_id) + "#settings")
