"""Pupil pages for the DSL team: the list and search, and one pupil's page: profile, flags
(history; start or end one), family (siblings in other schools of the trust named, opened only
where allowed), plugin panels, and the chronology with filters and a PDF export."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from core import audit
from core import pupils as pupil_service
from core.chronology import chronology_pdf, pupil_chronology
from core.errors import ValidationError
from core.models.pupils import FLAGS, YEAR_GROUPS
from core.policy import can
from web import context
from web.pages import school_for
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


def _render(school_id: int, pupil_id: int, flag_form: Form | None = None, status: int = 200):
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
        family=pupil_service.visible_family(s, a, school_id, pupil_id),
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
