"""Admin: people and their roles. A school admin adds people to their school and grants or
revokes school roles; a trust admin also grants the trust-wide roles. Nobody changes their own
roles here, so an admin cannot hand themselves a case-file role."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import login_required
from sqlalchemy import select

from core import accounts, websessions
from core.errors import ValidationError
from core.policy import CASE_ROLES, can
from core.models import Membership, User
from core.models.people import ROLE_LABELS, SCHOOL_ROLES, TRUST_ROLES
from web import context
from web.pages import school_for
from web.views.admin import bp
from web.views.admin.categories import render_trust
from web.views.admin.schools import admin_trusts, render_school
from web.views.forms import Form


def _grant(form: Form, roles: tuple[str, ...], *, school_id: int | None = None,
           trust_id: int | None = None) -> str | None:
    """Create the person if the email is new, then grant the role. Returns their name."""
    s = context.db()
    email = form.text("email", required=True).lower()
    role = form.choice("role", roles, required=True)
    if form.errors:
        return None
    user = s.scalar(select(User).where(User.email == email))
    if user is not None and user.id == context.actor().user_id:
        form.add_error("email", "you cannot change your own roles: ask another admin")
        return None
    if role in CASE_ROLES and not can(context.actor(), "trust.admin", school_id=school_id,
                                       trust_id=trust_id):
        # a school admin who could make a DSL (an account whose first password they chose)
        # could read every case file through it: admins never reach case files
        form.add_error("role", "only a trust admin can give the DSL or deputy DSL role")
        return None
    try:
        with s.begin_nested():
            if user is None:
                user = accounts.create_user(s, email, form.text("name"),
                                            form.data.get("password") or "")
            accounts.grant_role(s, user.id, role, school_id=school_id, trust_id=trust_id)
    except ValidationError as exc:
        form.absorb(exc, {"school": "role", "trust": "role"})
        return None
    return user.name


@bp.route("/schools/<int:school_id>/people", methods=["POST"])
@login_required
def add_person(school_id: int):
    context.require("school.admin", school_id)
    form = Form(request.form)
    name = _grant(form, SCHOOL_ROLES, school_id=school_id)
    if name is None:
        return render_school(school_id, "person", form, 422)
    flash(f"{name} is now {ROLE_LABELS[form.data['role']]} here.", "success")
    return redirect(url_for("admin.school", school_id=school_id) + "#people")


def _revoke(membership_id: int, *, school_id: int | None, trust_id: int) -> Membership:
    s = context.db()
    m = s.get(Membership, membership_id)
    if m is None or m.school_id != school_id or m.trust_id != trust_id:
        abort(404)
    if m.user_id == context.actor().user_id:
        abort(400, description="You cannot change your own roles: ask another admin.")
    accounts.revoke_role(s, m.id)
    return m


@bp.route("/schools/<int:school_id>/roles/<int:membership_id>/revoke", methods=["POST"])
@login_required
def revoke_role(school_id: int, membership_id: int):
    school = school_for("school.admin", school_id)
    m = _revoke(membership_id, school_id=school_id, trust_id=school.trust_id)
    flash(f"Role {ROLE_LABELS[m.role]} removed.", "success")
    return redirect(url_for("admin.school", school_id=school_id) + "#people")


@bp.route("/trusts/<int:trust_id>/people", methods=["POST"])
@login_required
def add_trust_person(trust_id: int):
    if trust_id not in admin_trusts():
        abort(404)
    form = Form(request.form)
    name = _grant(form, TRUST_ROLES, trust_id=trust_id)
    if name is None:
        return render_trust(trust_id, "person", form, 422)
    flash(f"{name} is now {ROLE_LABELS[form.data['role']]} across the trust.", "success")
    return redirect(url_for("admin.trust", trust_id=trust_id) + "#people")


@bp.route("/trusts/<int:trust_id>/roles/<int:membership_id>/revoke", methods=["POST"])
@login_required
def revoke_trust_role(trust_id: int, membership_id: int):
    if trust_id not in admin_trusts():
        abort(404)
    m = _revoke(membership_id, school_id=None, trust_id=trust_id)
    flash(f"Role {ROLE_LABELS[m.role]} removed.", "success")
    return redirect(url_for("admin.trust", trust_id=trust_id) + "#people")


def _sign_out(user_id: int, holds_role) -> str:
    """End every session of a person the admin manages (a lost phone, a leaver): their next
    request asks them to sign in. Audited with the admin's name."""
    s = context.db()
    user = s.get(User, user_id)
    if user is None or not s.scalar(select(Membership.id).where(
            Membership.user_id == user_id, holds_role).limit(1)):
        abort(404)
    n = websessions.end_for_user(s, user_id, "signed out by an admin",
                                 by_user_id=context.actor().user_id)
    flash(f"{user.name} is signed out everywhere ({n} session{'s' if n != 1 else ''} ended).",
          "success")
    return user.name


@bp.route("/schools/<int:school_id>/people/<int:user_id>/sign-out", methods=["POST"])
@login_required
def sign_out_person(school_id: int, user_id: int):
    school_for("school.admin", school_id)
    _sign_out(user_id, Membership.school_id == school_id)
    return redirect(url_for("admin.school", school_id=school_id) + "#people")


@bp.route("/trusts/<int:trust_id>/people/<int:user_id>/sign-out", methods=["POST"])
@login_required
def sign_out_trust_person(trust_id: int, user_id: int):
    if trust_id not in admin_trusts():
        abort(404)
    _sign_out(user_id, Membership.trust_id == trust_id)
    return redirect(url_for("admin.trust", trust_id=trust_id) + "#people")
