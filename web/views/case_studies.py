"""Case studies for practice reviews (trust lead): draft one from a pupil's chronology,
edit it (every save a new version, kept), mark it reviewed, and export the reviewed version
as PDF. Rules in :mod:`core.case_study`."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from sqlalchemy import select

from core import case_study
from core.board_documents import case_study_pdf
from core.errors import NotFound, ValidationError
from core.models import School
from core.policy import can
from web import context
from web.pages import download
from web.views.forms import Form
from web.views.trust_families import lead_trust

bp = Blueprint("case_studies", __name__)
ACTION = "trust.case_study"


@bp.app_template_global()
def can_draft_case_study(school_id: int) -> bool:
    """Whether the pupil page offers the lead a case-study draft from the chronology."""
    a = context.actor()
    return can(a, ACTION, school_id) and can(a, "casefile.read", school_id)


@bp.route("/trust/case-studies")
@login_required
def index():
    """The trust's case studies, newest first."""
    trust_id = lead_trust(ACTION)
    s = context.db()
    rows = case_study.list_studies(s, context.actor(), trust_id)
    schools = dict(s.execute(select(School.id, School.name).where(School.trust_id == trust_id))
                   .all())
    return render_template("lead/case_studies.html", rows=rows, schools=schools)


@bp.route("/schools/<int:school_id>/pupils/<int:pupil_id>/case-study", methods=["POST"])
@login_required
def create(school_id: int, pupil_id: int):
    """Draft a case study from this pupil's chronology (the lead, from the pupil's page)."""
    a = context.actor()
    if not can_draft_case_study(school_id):
        abort(404)
    form = Form(request.form)
    title = form.text("title", max_len=case_study.MAX_TITLE)
    try:
        with context.db().begin_nested():
            study = case_study.create(context.db(), a, school_id, pupil_id, title)
    except NotFound:
        abort(404)
    except ValidationError as exc:
        flash("The case study was not drafted: " + "; ".join(
            f"{k} {m}" for k, ms in exc.errors.items() for m in ms) + ".", "error")
        return redirect(url_for("pupils.pupil", school_id=school_id, pupil_id=pupil_id))
    flash("Draft made from the chronology, names replaced by roles and dates made relative. "
          "Read it all before marking it reviewed.", "success")
    return redirect(url_for("case_studies.edit", case_id=study.id))


def _view(case_id: int):
    try:
        return case_study.get(context.db(), context.actor(), case_id)
    except NotFound:
        abort(404)


@bp.route("/trust/case-studies/<int:case_id>", methods=["GET", "POST"])
@login_required
def edit(case_id: int):
    """The newest version to edit, earlier versions listed; a save adds a version."""
    if request.method == "GET":
        view = _view(case_id)
        return render_template("lead/case_study.html", view=view, values=view.latest.sections,
                               errors={}, sections=case_study.SECTIONS,
                               max_section=case_study.MAX_SECTION)
    form = Form(request.form)
    sections = {k: form.text(k, max_len=case_study.MAX_SECTION) for k in case_study.SECTIONS}
    reviewed = request.form.get("reviewed") == "yes"
    if not form.errors:
        try:
            with context.db().begin_nested():
                case_study.save(context.db(), context.actor(), case_id, sections, reviewed)
        except NotFound:
            abort(404)
        except ValidationError as exc:
            form.absorb(exc)
    if form.errors:
        view = _view(case_id)
        return render_template("lead/case_study.html", view=view, values=form.values,
                               errors=form.errors, sections=case_study.SECTIONS,
                               max_section=case_study.MAX_SECTION), 422
    flash("Saved as reviewed: it can be exported." if reviewed else
          "Saved. Mark it reviewed when nothing in it identifies anyone.", "success")
    return redirect(url_for("case_studies.edit", case_id=case_id))


@bp.route("/trust/case-studies/<int:case_id>/pdf")
@login_required
def export_pdf(case_id: int):
    """The newest version as PDF, only once reviewed."""
    a = context.actor()
    try:
        study, version = case_study.export(context.db(), a, case_id)
    except NotFound:
        abort(404)
    except ValidationError:
        flash("Only a reviewed version can be exported: save it as reviewed first.", "error")
        return redirect(url_for("case_studies.edit", case_id=case_id))
    return download(case_study_pdf(study.title, version, case_study.SECTIONS, a.name),
                    f"case-study-{study.id}-v{version.version}.pdf", "application/pdf")
