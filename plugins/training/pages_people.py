"""Pages about people: the compliance matrix, a person's record, entering and importing
records, and each person's own page."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from core.errors import ValidationError
from core.models import School
from core.policy import can
from plugins.training import compliance, export, importer, policies, records, staff
from plugins.training.courses import ensure_courses
from plugins.training.forms import form_date, form_int, person_data
from plugins.training.models import JOB_ROLES, SAFEGUARDING_ROLES
from plugins.training.validity import STATUS_LABELS
from web import context
from web.charts import Point, bar_chart
from web.pages import download


def _school(school_id: int) -> School:
    school = context.db().scalar(select(School).where(School.id == school_id))
    if school is None:
        abort(404)
    return school


def _common(school_id: int) -> dict:
    a = context.actor()
    return dict(school=_school(school_id), status_labels=STATUS_LABELS, job_roles=JOB_ROLES,
                safeguarding_roles=SAFEGUARDING_ROLES,
                can_manage=can(a, "training.manage", school_id),
                can_view=can(a, "training.view", school_id))


def _short(label: str) -> str:
    """A course name short enough to sit under its bar ("Annual safeguarding update" ->
    "Annual update"); the table beside the chart keeps the full names."""
    words = [w for w in label.split() if w.lower() not in ("safeguarding", "awareness")]
    short = " ".join(words) or label
    short = short[0].upper() + short[1:]
    return short if len(short) <= 16 else short[:15] + "…"


def home(school_id: int):
    """Managers and the trust land on the matrix; everyone else on their own page."""
    a = context.actor()
    if can(a, "training.view", school_id):
        return redirect(url_for("training.matrix", school_id=school_id))
    context.require("school.view", school_id)
    return redirect(url_for("training.me", school_id=school_id))


def matrix(school_id: int):
    """The school's compliance matrix, chart and blockers."""
    context.require("training.view", school_id)
    s = context.db()
    m = compliance.compliance_matrix(s, context.actor(), school_id)
    points, per_course = [], []
    for course in m.courses:
        ok, total = m.course_in_date(course)
        per_course.append((course, ok, total))
        points.append(Point(_short(course.label), round(100 * ok / total, 1) if total else None))
    chart = bar_chart(points, "Staff in date for each course", unit="%", max_value=100,
                      threshold=100)
    return render_template("training/matrix.html", m=m, chart=chart, per_course=per_course,
                           dsl_ok=compliance.dsl_in_date(m), **_common(school_id))


def matrix_csv(school_id: int):
    """The compliance matrix as a CSV download."""
    context.require("training.view", school_id)
    m = compliance.compliance_matrix(context.db(), context.actor(), school_id)
    return Response(export.matrix_csv(m), mimetype="text/csv", headers={
        "Content-Disposition":
            f'attachment; filename="training-compliance-{school_id}-{m.today.isoformat()}.csv"'})


def me(school_id: int):
    """The signed-in person's own training and the policies they have to sign."""
    context.require("school.view", school_id)
    s, a = context.db(), context.actor()
    person = staff.own_person(s, a, school_id)
    courses = compliance.person_courses(s, school_id, person) if person else []
    recs = records.records_of(s, school_id, [person.id]) if person else []
    return render_template("training/me.html", person=person, courses=courses, records=recs,
                           to_sign=policies.to_sign(s, a, school_id),
                           course_names={c.id: c.label for c in
                                         ensure_courses(s, _school(school_id).trust_id)},
                           **_common(school_id))


def person_new(school_id: int):
    """Add a person to the staff list."""
    context.require("training.manage", school_id)
    errors, form = {}, {}
    if request.method == "POST":
        form = request.form
        try:
            p = staff.add_person(context.db(), context.actor(), school_id, person_data(form))
            flash(f"{p.name} added to the staff list.", "success")
            return redirect(url_for("training.person", school_id=school_id, staff_id=p.id))
        except ValidationError as exc:
            errors = exc.errors
    return render_template("training/person_new.html", errors=errors, form=form,
                           **_common(school_id)), 422 if errors else 200


def person(school_id: int, staff_id: int, errors: dict | None = None, status: int = 200):
    """One person's courses and records (with the forms, for managers)."""
    s, a = context.db(), context.actor()
    p = staff.get_person(s, a, school_id, staff_id)
    courses = ensure_courses(s, p.trust_id)
    return render_template(
        "training/person.html", person=p, courses=courses,
        states=compliance.person_courses(s, school_id, p),
        records=records.records_of(s, school_id, [p.id], include_withdrawn=True),
        course_names={c.id: c.label for c in courses}, errors=errors or {},
        max_mb=records.MAX_CERTIFICATE_BYTES // (1024 * 1024), **_common(school_id)), status


def person_edit(school_id: int, staff_id: int):
    """Change a person's details, or record that they have left."""
    context.require("training.manage", school_id)
    try:
        staff.update_person(context.db(), context.actor(), school_id, staff_id,
                            person_data(request.form))
    except ValidationError as exc:
        context.db().rollback()
        return person(school_id, staff_id, exc.errors, 422)
    flash("Details saved.", "success")
    return redirect(url_for("training.person", school_id=school_id, staff_id=staff_id))


def record_add(school_id: int, staff_id: int):
    """Record completed training, with an optional certificate."""
    context.require("training.manage", school_id)
    s, f = context.db(), request.form
    upload = request.files.get("certificate")
    cert = None
    if upload is not None and upload.filename:
        cert = records.Certificate(upload.filename, upload.read())
    try:
        records.add_record(s, context.actor(), school_id, staff_id, form_int(f, "course_id"),
                           form_date(f, "completed_on"), provider=f.get("provider", ""),
                           notes=f.get("notes", ""), certificate=cert)
    except ValidationError as exc:
        s.rollback()
        return person(school_id, staff_id, exc.errors, 422)
    flash("Training recorded.", "success")
    return redirect(url_for("training.person", school_id=school_id, staff_id=staff_id))


def record_withdraw(school_id: int, record_id: int):
    """Withdraw a record entered by mistake (kept, with the reason)."""
    context.require("training.manage", school_id)
    rec = records.withdraw_record(context.db(), context.actor(), school_id, record_id,
                                  request.form.get("reason", ""))
    flash("Record withdrawn: it no longer counts, and is kept with your reason.", "success")
    return redirect(url_for("training.person", school_id=school_id, staff_id=rec.staff_id))


def certificate(school_id: int, record_id: int):
    """Download a certificate (for whoever may see the person's training)."""
    rec = records.get_certificate(context.db(), context.actor(), school_id, record_id)
    return download(rec.certificate, rec.certificate_name, rec.certificate_type)


def import_records(school_id: int):
    """Upload a provider's CSV; on any bad row, the report and nothing imported."""
    context.require("training.manage", school_id)
    result, errors = None, {}
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise ValidationError({"file": ["choose a CSV file"]})
            result = importer.import_csv(context.db(), context.actor(), school_id, upload.read())
        except ValidationError as exc:
            errors = exc.errors
        if result is not None and result.ok:
            flash(f"Imported {result.imported} records"
                  + (f"; {result.skipped} already held were skipped." if result.skipped else "."),
                  "success")
            return redirect(url_for("training.matrix", school_id=school_id))
    bad = bool(errors) or (result is not None and not result.ok)
    return render_template("training/import.html", result=result, errors=errors,
                           **_common(school_id)), 422 if bad else 200
