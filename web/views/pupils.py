"""Pupil pages for the DSL team: the list and search, and one pupil's page: profile, flags
(history; start or end one), family (relatives in other schools of the trust named, opened only
where allowed; web/views/family.py), agency contacts (web/views/contacts.py), the history of
the pupil's details, plugin panels, and the chronology with filters and a PDF export.

Keeping the roll (the DSL team and school admins, ``pupil.manage``): the roll, and a pupil's
details page where their details are changed and they are taken off roll with a destination.
An admin sees names and details there, never the case file."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from core import audit
from core import pupils as pupil_service
from core.calendar import london_today
from core.chronology import chronology_pdf, pupil_chronology
from core.errors import ValidationError
from core.models.pupils import FLAGS, YEAR_GROUPS
from core.policy import can
from web import context
from web.pages import school_for
from web.views import contacts as contact_views
from web.views import family as family_views
from web.views.forms import Form

bp = Blueprint("pupils", __name__)
CORE_KINDS = [("concern", "Concerns"), ("entry", "DSL entries"), ("flag", "Flags"),
              ("roll", "Joining and leaving")]


@bp.route("/schools/<int:school_id>/pupils")
@login_required
def index(school_id: int):
    school = school_for("casefile.read", school_id)
    q = (request.args.get("q") or "").strip()
    include_left = request.args.get("left") == "1"
    rows = pupil_service.search_pupils(context.db(), context.actor(), school_id, q,
                                       include_left=include_left, limit=200)
    return render_template("pupils/list.html", school=school, rows=rows, q=q,
                           include_left=include_left, years=YEAR_GROUPS)


def _filters(school_id: int) -> tuple[Form, list[tuple[str, str]], set[str], dt.date | None,
                                      dt.date | None]:
    """The chronology filters from the query string: kinds ticked and a date range."""
    host = context.host()
    kinds = CORE_KINDS + [(name, host.info(name).label)
                          for name in sorted(host.enabled(context.db(), school_id))]
    form = Form(request.args)
    chosen = {k for k in request.args.getlist("kind") if k in dict(kinds)}
    start, end = form.date("start"), form.date("end")
    if start and end and end < start:
        form.add_error("end", "must be on or after the start date")
        end = None
    return form, kinds, chosen, start, end


def _render(school_id: int, pupil_id: int, flag_form: Form | None = None, status: int = 200,
            family_form: Form | None = None, family_which: str = "",
            contact_form: Form | None = None, contact_which: str = ""):
    school = school_for("casefile.read", school_id)
    s, a = context.db(), context.actor()
    pupil = pupil_service.get_pupil(s, a, school_id, pupil_id, "casefile.read")
    form, kinds, chosen, start, end = _filters(school_id)
    items = pupil_chronology(s, a, school_id, pupil_id, kinds=chosen or None, start=start,
                             end=end)
    panels = sorted(context.host().call_for_school(s, school_id, "mat_pupil_panels",
                                                   pupil_id=pupil_id, actor=a),
                    key=lambda p: (p.order, p.plugin, p.title))
    flags = pupil_service.flag_history(s, a, school_id, pupil_id)
    return render_template(
        "pupils/pupil.html", school=school, pupil=pupil, years=YEAR_GROUPS, items=items,
        kinds=kinds, chosen=chosen, filter_form=form, panels=panels, flags=flags,
        flag_labels=FLAGS, active_flags=[f for f in flags if f.end_date is None],
        **family_views.page_data(s, a, school_id, pupil_id, family_form, family_which),
        **contact_views.page_data(s, a, school_id, pupil_id, contact_form, contact_which),
        history=pupil_service.pupil_history(s, a, school_id, pupil_id),
        field_labels=pupil_service.FIELD_LABELS, shown_value=pupil_service.shown_value,
        can_manage=can(a, "pupil.manage", school_id),
        can_write=can(a, "casefile.write", school_id),
        can_record=can(a, "concern.record", school_id),
        flag_values=flag_form.values if flag_form else MultiDict(),
        flag_errors=flag_form.errors if flag_form else {},
        pdf_query=request.query_string.decode()), status


@bp.route("/schools/<int:school_id>/pupils/<int:pupil_id>")
@login_required
def pupil(school_id: int, pupil_id: int):
    return _render(school_id, pupil_id)


@bp.route("/schools/<int:school_id>/pupils/<int:pupil_id>/flags", methods=["POST"])
@login_required
def flags(school_id: int, pupil_id: int):
    """Start or end a vulnerability flag (the DSL team); the history is kept."""
    context.require("casefile.write", school_id)
    form = Form(request.form)
    op = form.choice("op", ("start", "end"), required=True)
    flag = form.choice("flag", FLAGS, required=True)
    day = form.date("date", required=True)
    if not form.errors:
        try:
            with context.db().begin_nested():
                if op == "start":
                    pupil_service.set_flag(context.db(), context.actor(), school_id, pupil_id,
                                           flag, day, form.text("note", max_len=300))
                else:
                    pupil_service.end_flag(context.db(), context.actor(), school_id, pupil_id,
                                           flag, day)
        except ValidationError as exc:
            form.absorb(exc, {"end_date": "date"})
    if form.errors:
        return _render(school_id, pupil_id, form, 422)
    flash(f"{FLAGS[flag]} {'started' if op == 'start' else 'ended'}.", "success")
    return redirect(url_for("pupils.pupil", school_id=school_id, pupil_id=pupil_id) + "#flags")


# --- keeping the roll: details and leaving ---------------------------------------------------

GENDERS = list(pupil_service.GENDERS.items())


@bp.route("/schools/<int:school_id>/roll")
@login_required
def roll(school_id: int):
    """The pupils on roll, for those who keep it up to date (no case file here)."""
    school = school_for("pupil.manage", school_id)
    q = (request.args.get("q") or "").strip()[:100]
    rows = pupil_service.roll(context.db(), context.actor(), school_id, q)
    return render_template("pupils/roll.html", school=school, rows=rows, q=q,
                           years=YEAR_GROUPS)


def _details_values(pupil) -> MultiDict:
    return MultiDict({f: "" if getattr(pupil, f) is None else (
        getattr(pupil, f).isoformat() if isinstance(getattr(pupil, f), dt.date)
        else str(getattr(pupil, f))) for f in pupil_service.EDITABLE})


def _render_details(school_id: int, pupil_id: int, edit_form: Form | None = None,
                    leave_form: Form | None = None, status: int = 200):
    school = school_for("pupil.manage", school_id)
    s, a = context.db(), context.actor()
    pupil = pupil_service.get_pupil(s, a, school_id, pupil_id, "pupil.manage")
    latest = london_today() + pupil_service.LEAVING_AHEAD
    return render_template(
        "pupils/details.html", school=school, pupil=pupil, years=YEAR_GROUPS, genders=GENDERS,
        edit_values=edit_form.values if edit_form else _details_values(pupil),
        edit_errors=edit_form.errors if edit_form else {},
        leave_values=leave_form.values if leave_form else MultiDict(),
        leave_errors=leave_form.errors if leave_form else {},
        latest_leaving=latest, can_read=can(a, "casefile.read", school_id)), status


@bp.route("/schools/<int:school_id>/pupils/<int:pupil_id>/details")
@login_required
def details(school_id: int, pupil_id: int):
    return _render_details(school_id, pupil_id)


@bp.route("/schools/<int:school_id>/pupils/<int:pupil_id>/details", methods=["POST"],
          endpoint="edit")
@login_required
def edit(school_id: int, pupil_id: int):
    """Change the pupil's details; each change is kept in the pupil's history."""
    context.require("pupil.manage", school_id)
    form = Form(request.form)
    changes = {
        "first_name": form.text("first_name", required=True, max_len=100),
        "last_name": form.text("last_name", required=True, max_len=100),
        "preferred_name": form.text("preferred_name", max_len=100) or None,
        "date_of_birth": form.date("date_of_birth", required=True),
        "year_group": form.integer("year_group", required=True),
        "gender": form.choice("gender", dict(GENDERS), required=True),
        "upn": form.text("upn", max_len=13).upper() or None,
        "address": form.text("address", max_len=300) or None,
    }
    changed = []
    if not form.errors:
        try:
            with context.db().begin_nested():
                changed = pupil_service.update_pupil(context.db(), context.actor(), school_id,
                                                     pupil_id, **changes)
        except ValidationError as exc:
            form.absorb(exc, keep_own=True)
    if form.errors:
        return _render_details(school_id, pupil_id, edit_form=form, status=422)
    flash(f"Details saved: {', '.join(pupil_service.FIELD_LABELS[c.field].lower() for c in changed)} "
          "changed." if changed else "Nothing had changed.", "success")
    return redirect(url_for("pupils.details", school_id=school_id, pupil_id=pupil_id))


def leaving_fields(form: Form):
    """The leaving form's fields, shared by the pupil's page and the MIS import's "left?"
    list: the date, the reason, the destination URN (None unless a school was chosen) and the
    choice ("school" or "unknown"); a school chosen without its URN is an error on the form."""
    day = form.date("date", required=True)
    reason = form.text("reason", required=True, max_len=200)
    where = form.choice("destination", ("school", "unknown"), required=True)
    urn = form.text("destination_urn")
    if where == "school" and not urn:
        form.add_error("destination_urn", "give the destination school's 6-digit URN")
    return day, reason, urn if where == "school" else None, where


@bp.route("/schools/<int:school_id>/pupils/<int:pupil_id>/leave", methods=["POST"])
@login_required
def leave(school_id: int, pupil_id: int):
    """Take the pupil off roll: a destination school opens the transfer of the file, "not
    known" starts the children-missing-education steps (where transition is on)."""
    context.require("pupil.manage", school_id)
    form = Form(request.form)
    day, reason, urn, where = leaving_fields(form)
    if not form.errors:
        try:
            with context.db().begin_nested():
                pupil_service.mark_left(
                    context.db(), context.actor(), school_id, pupil_id, day, reason,
                    urn, destination_unknown=where == "unknown", require_destination=True)
        except ValidationError as exc:
            form.absorb(exc, keep_own=True)
    if form.errors:
        return _render_details(school_id, pupil_id, leave_form=form, status=422)
    flash("Taken off roll. " + ("The transfer of the child-protection file is open for the "
                                "DSL team." if where == "school" else
                                "The destination is not known: the DSL team must tell the "
                                "local authority."), "success")
    return redirect(url_for("pupils.details", school_id=school_id, pupil_id=pupil_id))


@bp.route("/schools/<int:school_id>/pupils/<int:pupil_id>/chronology.pdf",
          endpoint="chronology_pdf")
@login_required
def chronology_pdf_view(school_id: int, pupil_id: int):
    """The chronology (with the page's filters) as a PDF; the export is audited."""
    school = school_for("casefile.read", school_id)
    s, a = context.db(), context.actor()
    pupil = pupil_service.get_pupil(s, a, school_id, pupil_id, "casefile.read")
    _, _, chosen, start, end = _filters(school_id)
    items = pupil_chronology(s, a, school_id, pupil_id, kinds=chosen or None, start=start,
                             end=end)
    pdf = chronology_pdf(items, pupil, school.name, a.name)
    audit.record(s, "chronology.exported", actor=a, object_type="pupil", object_id=pupil_id,
                 school_id=school_id, detail={"kinds": sorted(chosen), "start": start,
                                              "end": end, "items": len(items)})
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="chronology-{pupil_id}.pdf"'})
