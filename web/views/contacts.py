"""The pupil page's agency contacts (case-file information: the DSL team and the trust lead
see them, every read audited): the DSL team adds a professional working with the pupil and
ends one (kept, with its end date). Drawn by :func:`page_data` into ``pupils/pupil.html``; a
form that fails comes back on the pupil page with its errors."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required
from sqlalchemy.orm import Session

from core import contacts
from core.calendar import london_today
from core.errors import ValidationError
from core.models.contacts import CONTACT_ROLES
from core.policy import Actor, can
from web import context
from web.views.forms import Form

bp = Blueprint("contacts", __name__)
PREFIX = "/schools/<int:school_id>/pupils/<int:pupil_id>/contacts"


def page_data(s: Session, a: Actor, school_id: int, pupil_id: int,
              form: Form | None = None, which: str = "") -> dict:
    """What ``pupils/_contacts.html`` shows: current and ended contacts, and a failed form's
    values and errors."""
    today = london_today()
    rows = contacts.list_contacts(s, a, school_id, pupil_id)
    return {"contacts_current": [r for r in rows if r.current_on(today) or r.start_date > today],
            "contacts_ended": [r for r in rows if r.end_date is not None and r.end_date < today],
            "contact_roles": CONTACT_ROLES, "contacts_can_write": can(a, "casefile.write",
                                                                      school_id),
            "contact_values": form.values if form else {},
            "contact_errors": form.errors if form else {}, "contact_which": which,
            "contact_limits": contacts.LIMITS, "today": today}


def _back(school_id: int, pupil_id: int):
    return redirect(url_for("pupils.pupil", school_id=school_id, pupil_id=pupil_id) +
                    "#contacts")


def _failed(school_id: int, pupil_id: int, form: Form, which: str):
    from web.views.pupils import _render  # the pupil page draws this section

    return _render(school_id, pupil_id, status=422, contact_form=form, contact_which=which)


@bp.route(PREFIX, methods=["POST"], endpoint="add")
@login_required
def add(school_id: int, pupil_id: int):
    """Add a professional working with the pupil."""
    context.require("casefile.write", school_id)
    form = Form(request.form)
    data = {"role": form.choice("role", CONTACT_ROLES, required=True),
            "start_date": form.date("start_date") or london_today(),
            "end_date": form.date("end_date")}
    for field, limit in contacts.LIMITS.items():
        data[field] = form.text(field, required=field == "name", max_len=limit)
    row = None
    if not form.errors:
        try:
            with context.db().begin_nested():
                row = contacts.add_contact(context.db(), context.actor(), school_id, pupil_id,
                                           **data)
        except ValidationError as exc:
            form.absorb(exc, keep_own=True)
    if form.errors:
        return _failed(school_id, pupil_id, form, "add")
    flash(f"{CONTACT_ROLES[row.role]} {row.name} added.", "success")
    return _back(school_id, pupil_id)


@bp.route(PREFIX + "/<int:contact_id>/end", methods=["POST"], endpoint="end")
@login_required
def end(school_id: int, pupil_id: int, contact_id: int):
    """End a contact from a date (today by default); it is kept as ended."""
    context.require("casefile.write", school_id)
    form = Form(request.form)
    day = form.date("end_date")
    if not form.errors:
        try:
            with context.db().begin_nested():
                contacts.end_contact(context.db(), context.actor(), school_id, pupil_id,
                                     contact_id, day)
        except ValidationError as exc:
            form.absorb(exc, {"contact": "end_date"})
    if form.errors:
        return _failed(school_id, pupil_id, form, f"end-{contact_id}")
    flash("Contact ended. It stays in the pupil's record as ended.", "success")
    return _back(school_id, pupil_id)
