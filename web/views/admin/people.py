"""Admin: people and their roles. A school admin adds people to their school and grants or
revokes school roles; a trust admin also grants the trust-wide roles. Nobody changes their own
roles here, and nobody chooses another person's password: a new person is invited and sets
their own. A case-file role given by a trust admin waits for the trust safeguarding lead, who
confirms it on the role requests page (and may give DSL and deputy roles directly there)."""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from core import accounts, invitations, websessions
from core.errors import ValidationError
from core.policy import CASE_ROLES, can
from core.models import Membership, School, User
from core.models.invitations import RoleRequest
from core.models.people import ROLE_LABELS, SCHOOL_ROLES, TRUST_ROLES
from web import context
from web.pages import school_for
from web.views.admin import bp
from web.views.admin.categories import render_trust
from web.views.admin.schools import admin_trusts, render_school
from web.views.forms import Form


def _invite_link(raw: str) -> str:
    return url_for("auth.invite", token=raw, _external=True)


def _send_invitation(user_id: int, name: str) -> None:
    """Invite (again): the old link stops working. Without mail the link is shown once, here."""
    link = invitations.invite(context.db(), user_id, _invite_link,
                              by_user_id=context.actor().user_id)
    if current_app.config["MAT_SETTINGS"].smtp_host:
        flash(f"{name} has been emailed a link to set their password.", "info")
    else:
        g.mat_link_shown = True  # the page opens at its top, where the link is
        flash(f"Mail is not set up, so send {name} this link yourself (it is shown only "
              f"once, works once and ends in {invitations.INVITE_DAYS} days): {link}", "info")


def _grant(form: Form, roles: tuple[str, ...], *, school_id: int | None = None,
           trust_id: int | None = None, lead_only: bool = False) -> str | None:
    """Invite the person if the email is new, then grant the role, or ask the trust lead to
    confirm it (a case-file role given by an admin). Returns their name."""
    s = context.db()
    email = form.text("email", required=True).lower()
    role = form.choice("role", roles, required=True)
    if form.errors:
        return None
    user = s.scalar(select(User).where(User.email == email))
    if user is not None and user.id == context.actor().user_id:
        form.add_error("email", "you cannot change your own roles: ask another admin")
        return None
    if role in CASE_ROLES and not lead_only and not can(
            context.actor(), "trust.admin", school_id=school_id, trust_id=trust_id):
        form.add_error("role", "only a trust admin (with the trust safeguarding lead's "
                               "confirmation) can give the DSL or deputy DSL role")
        return None
    new = user is None
    try:
        with s.begin_nested():
            if new:
                user = accounts.create_user(s, email, form.text("name"), None)
            result = invitations.grant_or_request(
                s, context.actor(), user.id, role, school_id=school_id, trust_id=trust_id,
                requests_link=url_for("admin.role_requests", trust_id=trust_id or
                                      s.get(School, school_id).trust_id, _external=True))
    except ValidationError as exc:
        form.absorb(exc, {"school": "role", "trust": "role"})
        return None
    if new:
        _send_invitation(user.id, user.name)
    if isinstance(result, RoleRequest):
        flash(f"{user.name}'s role {ROLE_LABELS[role]} waits for the trust safeguarding lead "
              f"to confirm it.", "info")
        form.pending = True  # type: ignore[attr-defined]
    return user.name


def _people() -> str:
    """Where to land after adding someone: their list, or the top when a link is shown."""
    return "" if g.get("mat_link_shown") else "#people"


def _done(form: Form, name: str, where: str) -> None:
    if not getattr(form, "pending", False):
        flash(f"{name} is now {ROLE_LABELS[form.data['role']]} {where}.", "success")


@bp.route("/schools/<int:school_id>/people", methods=["POST"])
@login_required
def add_person(school_id: int):
    context.require("school.admin", school_id)
    form = Form(request.form)
    name = _grant(form, SCHOOL_ROLES, school_id=school_id)
    if name is None:
        return render_school(school_id, "person", form, 422)
    _done(form, name, "here")
    return redirect(url_for("admin.school", school_id=school_id) + _people())


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
    _done(form, name, "across the trust")
    return redirect(url_for("admin.trust", trust_id=trust_id) + _people())


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


def _reinvite(user_id: int, holds_role) -> None:
    s = context.db()
    user = s.get(User, user_id)
    if user is None or user.id not in accounts.waiting_for_password(s, [user.id]) \
            or not s.scalar(select(Membership.id).where(
            Membership.user_id == user_id, holds_role).limit(1)):
        abort(404)  # only someone still waiting to set a password is invited again
    _send_invitation(user.id, user.name)


@bp.route("/schools/<int:school_id>/people/<int:user_id>/invite", methods=["POST"])
@login_required
def reinvite_person(school_id: int, user_id: int):
    school_for("school.admin", school_id)
    _reinvite(user_id, Membership.school_id == school_id)
    return redirect(url_for("admin.school", school_id=school_id) + _people())


@bp.route("/trusts/<int:trust_id>/people/<int:user_id>/invite", methods=["POST"])
@login_required
def reinvite_trust_person(trust_id: int, user_id: int):
    if trust_id not in admin_trusts():
        abort(404)
    _reinvite(user_id, Membership.trust_id == trust_id)
    return redirect(url_for("admin.trust", trust_id=trust_id) + _people())


# --- the trust safeguarding lead: role requests ---------------------------------------------

LEAD_GIVES = ("dsl", "deputy_dsl")


def _render_requests(trust_id: int, form: Form | None = None, status: int = 200):
    s = context.db()
    rows = invitations.pending(s, context.actor(), trust_id)
    schools = s.scalars(select(School).where(School.trust_id == trust_id)
                        .order_by(School.name)).all()
    return render_template(
        "admin/role_requests.html", trust_id=trust_id, rows=rows, role_labels=ROLE_LABELS,
        schools=[(str(sc.id), sc.name) for sc in schools],
        roles=[(r, ROLE_LABELS[r]) for r in LEAD_GIVES], me=context.actor().user_id,
        values=form.data if form else {}, errors=form.errors if form else {}), status


@bp.route("/trusts/<int:trust_id>/role-requests")
@login_required
def role_requests(trust_id: int):
    """The trust lead's list of case-file roles waiting for them, and a form to give one."""
    context.require("roles.confirm", trust_id=trust_id)
    return _render_requests(trust_id)


@bp.route("/trusts/<int:trust_id>/role-requests/<int:request_id>", methods=["POST"])
@login_required
def decide_role_request(trust_id: int, request_id: int):
    context.require("roles.confirm", trust_id=trust_id)
    confirm = request.form.get("decision") == "confirm"
    try:
        req = invitations.decide(context.db(), context.actor(), trust_id, request_id, confirm)
    except ValidationError as exc:
        context.db().rollback()
        flash(" ".join(m[:1].upper() + m[1:] + "." for m in exc.errors.get("request", [])),
              "error")
        return redirect(url_for("admin.role_requests", trust_id=trust_id)), 303
    user = context.db().get(User, req.user_id)
    flash(f"{ROLE_LABELS[req.role]} for {user.name} {req.outcome}.", "success")
    return redirect(url_for("admin.role_requests", trust_id=trust_id)), 303


@bp.route("/trusts/<int:trust_id>/role-requests/give", methods=["POST"])
@login_required
def lead_give_role(trust_id: int):
    """The trust lead gives a DSL or deputy role in one of the trust's schools directly."""
    context.require("roles.confirm", trust_id=trust_id)
    form = Form(request.form)
    school_id = form.choice("school", [str(i) for i in _trust_school_ids(trust_id)],
                            required=True)
    if form.errors:
        return _render_requests(trust_id, form, 422)
    name = _grant(form, LEAD_GIVES, school_id=int(school_id), lead_only=True)
    if name is None:
        return _render_requests(trust_id, form, 422)
    _done(form, name, "at that school")
    return redirect(url_for("admin.role_requests", trust_id=trust_id)), 303


def _trust_school_ids(trust_id: int) -> list[int]:
    return list(context.db().scalars(select(School.id).where(School.trust_id == trust_id)))
