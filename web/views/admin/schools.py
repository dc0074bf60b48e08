"""Admin: the list of schools one may manage, adding a school (trust admin, URN checked), and
a school's page: term dates, closures and plugin switches (its people are in ``people``)."""
from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from core import accounts
from core import schools as school_service
from core.calendar import TermSpan, london_today, uk_date
from core.db import system_scope
from core.errors import ValidationError
from core.models import Membership, NonSchoolDay, School, Term, Trust, User
from core.models.people import ROLE_LABELS, SCHOOL_ROLES
from core.policy import can, schools_where
from web import context
from web.pages import school_for
from web.views.admin import bp
from web.views.forms import Form


def admin_trusts() -> list[int]:
    a = context.actor()
    return [t for t in sorted(a.trust_roles) if can(a, "trust.admin", trust_id=t)]


def _render_index(form: Form | None = None, status: int = 200):
    a, s = context.actor(), context.db()
    school_ids = schools_where(a, "school.admin")
    trusts = admin_trusts()
    if not school_ids and not trusts:
        abort(404)
    schools = list(s.scalars(select(School).where(School.id.in_(school_ids))
                             .order_by(School.name)))
    return render_template(
        "admin/index.html", schools=schools,
        trusts=list(s.scalars(select(Trust).where(Trust.id.in_(trusts)).order_by(Trust.name))),
        jobs_visible=bool(schools_where(a, "jobs.view")),
        values=form.values if form else MultiDict(), errors=form.errors if form else {}), status


@bp.route("")
@login_required
def index():
    return _render_index()


@bp.route("/schools", methods=["POST"])
@login_required
def add_school():
    """Add a school to a trust (trust admins): the DfE 6-digit URN is checked."""
    form = Form(request.form)
    trust_id = form.integer("trust_id", required=True)
    if trust_id not in admin_trusts():
        abort(404)
    la_code = form.text("la_code") or None
    if not form.errors:
        try:
            # the new school is outside every tenant scope until it exists: creating it is
            # trust-level work (the trust admin's), audited as school.created
            with context.db().begin_nested(), system_scope(context.db(),
                                                           "trust admin adds a school"):
                school = school_service.create_school(
                    context.db(), trust_id, form.text("urn"), form.text("name"),
                    form.text("phase", max_len=40), la_code=la_code)
        except ValidationError as exc:
            form.absorb(exc)
    if form.errors:
        return _render_index(form, 422)
    flash(f"{school.name} added. Set its term dates and switch on its plugins.", "success")
    return redirect(url_for("admin.school", school_id=school.id))


RUNNING_OUT = dt.timedelta(weeks=4)


def calendar_running_out(terms: list[Term], today: dt.date | None = None) -> dt.date | None:
    """The last day of the last term entered when it has passed or is under four weeks away:
    deadlines counted in school days (a police notification's, a file transfer's) cannot be
    counted past it, so the admin is asked for the next term. ``None`` otherwise, or with no
    terms at all (the page says that already)."""
    if not terms:
        return None
    ends = max(t.end_date for t in terms)
    return ends if ends < (today or london_today()) + RUNNING_OUT else None


def render_school(school_id: int, failed: str | None = None, form: Form | None = None,
                  status: int = 200):
    """A school's admin page; after a refused form, that form shows what was typed and
    each message beside its field."""
    school = school_for("school.admin", school_id)
    s, host = context.db(), context.host()
    on = host.enabled(s, school_id)
    people = s.execute(select(Membership, User).join(User, User.id == Membership.user_id)
                       .where(Membership.school_id == school_id)
                       .order_by(User.name, Membership.role)).all()
    terms = list(s.scalars(select(Term).where(Term.school_id == school_id)
                           .order_by(Term.start_date)))
    return render_template(
        "admin/school.html", school=school, failed=failed,
        values=form.values if form else MultiDict(), errors=form.errors if form else {},
        terms=terms, calendar_ends=calendar_running_out(terms),
        closures=list(s.scalars(select(NonSchoolDay).where(NonSchoolDay.school_id == school_id)
                                .order_by(NonSchoolDay.date))),
        plugins=[{"name": n, "info": host.info(n), "on": n in on} for n in host.names],
        people=people, roles=[(r, ROLE_LABELS[r]) for r in SCHOOL_ROLES],
        waiting=accounts.waiting_for_password(s, {u.id for _, u in people}),
        role_labels=ROLE_LABELS, me=context.actor().user_id), status


@bp.route("/schools/<int:school_id>")
@login_required
def school(school_id: int):
    return render_school(school_id)


@bp.route("/schools/<int:school_id>/terms", methods=["POST"])
@login_required
def add_term(school_id: int):
    context.require("school.admin", school_id)
    form = Form(request.form)
    name = form.text("term_name", required=True, max_len=40)
    start, end = form.date("start_date", required=True), form.date("end_date", required=True)
    if not form.errors:
        try:
            with context.db().begin_nested():
                school_service.set_terms(context.db(), school_id, [TermSpan(name, start, end)])
        except ValidationError as exc:
            form.absorb(exc)
    if form.errors:
        return render_school(school_id, "term", form, 422)
    flash(f"{name} added to the calendar.", "success")
    return redirect(url_for("admin.school", school_id=school_id) + "#calendar")


@bp.route("/schools/<int:school_id>/closures", methods=["POST"])
@login_required
def add_closure(school_id: int):
    context.require("school.admin", school_id)
    form = Form(request.form)
    day = form.date("date", required=True)
    reason = form.text("reason", required=True, max_len=200)
    which = form.choice("session", ("ALL", "AM", "PM"), required=True)
    if not form.errors:
        try:
            with context.db().begin_nested():
                school_service.add_closure(context.db(), school_id, day, reason, which)
        except ValidationError as exc:
            form.absorb(exc)
    if form.errors:
        return render_school(school_id, "closure", form, 422)
    flash(f"{uk_date(day)} marked closed ({reason}).", "success")
    return redirect(url_for("admin.school", school_id=school_id) + "#calendar")


@bp.route("/schools/<int:school_id>/plugins/<name>", methods=["POST"])
@login_required
def set_plugin(school_id: int, name: str):
    """Switch a plugin on or off for one school; its data is kept either way (audited)."""
    context.require("school.admin", school_id)
    host = context.host()
    if name not in host.names:
        abort(404)
    enabled = request.form.get("enabled") == "1"
    changed = host.set_enabled(context.db(), school_id, name, enabled,
                               user_id=context.actor().user_id)
    label = host.info(name).label
    if changed:
        flash(f"{label} is now {'on' if enabled else 'off'} for this school.", "success")
    return redirect(url_for("admin.school", school_id=school_id) + "#plugins")

