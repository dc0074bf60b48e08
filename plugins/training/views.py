"""The training pages: people and their records (the compliance matrix, a person's page,
entering and importing records, each person's own page), and the school as a whole
(sessions, policies to read and sign, the needs analysis, the trust's course rules).

Who may use what (see the plugin guide): the school's admins, headteacher, DSL and deputies
keep the records (``training.manage``); the trust's safeguarding lead and admins may look
(``training.view``: the matrix, a person, the needs analysis); everyone else sees only their
own training and signs policies.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from core.errors import ValidationError
from core.models import School
from core.policy import can
from plugins.training import service
from plugins.training.definition import NAME
from plugins.training.forms import form_date, form_ids, form_int, person_data
from plugins.training.models import JOB_ROLES, SAFEGUARDING_ROLES
from web import context
from web.charts import Point, bar_chart
from web.pages import download

bp = Blueprint(NAME, __name__, template_folder="templates",
               url_prefix="/schools/<int:school_id>/training")


def _school(school_id: int) -> School:
    school = context.db().scalar(select(School).where(School.id == school_id))
    if school is None:
        abort(404)
    return school


def _common(school_id: int) -> dict:
    a = context.actor()
    return dict(school=_school(school_id), status_labels=service.STATUS_LABELS, job_roles=JOB_ROLES,
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


@bp.route("")
@login_required
def home(school_id: int):
    """Managers and the trust land on the matrix; everyone else on their own page."""
    a = context.actor()
    if can(a, "training.view", school_id):
        return redirect(url_for("training.matrix", school_id=school_id))
    context.require("school.view", school_id)
    return redirect(url_for("training.me", school_id=school_id))


@bp.route("/compliance")
@login_required
def matrix(school_id: int):
    """The school's compliance matrix, chart and blockers."""
    context.require("training.view", school_id)
    s = context.db()
    m = service.compliance_matrix(s, context.actor(), school_id)
    points, per_course = [], []
    for course in m.courses:
        ok, total = m.course_in_date(course)
        per_course.append((course, ok, total))
        points.append(Point(_short(course.label), round(100 * ok / total, 1) if total else None))
    chart = bar_chart(points, "Staff in date for each course", unit="%", max_value=100,
                      threshold=100)
    return render_template("training/matrix.html", m=m, chart=chart, per_course=per_course,
                           dsl_ok=service.dsl_in_date(m), **_common(school_id))


@bp.route("/compliance.csv")
@login_required
def matrix_csv(school_id: int):
    """The compliance matrix as a CSV download."""
    context.require("training.view", school_id)
    m = service.compliance_matrix(context.db(), context.actor(), school_id)
    return Response(service.matrix_csv(m), mimetype="text/csv", headers={
        "Content-Disposition":
            f'attachment; filename="training-compliance-{school_id}-{m.today.isoformat()}.csv"'})


@bp.route("/me")
@login_required
def me(school_id: int):
    """The signed-in person's own training and the policies they have to sign."""
    context.require("school.view", school_id)
    s, a = context.db(), context.actor()
    person = service.own_person(s, a, school_id)
    courses = service.person_courses(s, school_id, person) if person else []
    recs = service.records_of(s, school_id, [person.id]) if person else []
    return render_template("training/me.html", person=person, courses=courses, records=recs,
                           to_sign=service.to_sign(s, a, school_id),
                           course_names={c.id: c.label for c in
                                         service.ensure_courses(s, _school(school_id).trust_id)},
                           **_common(school_id))


@bp.route("/staff/new", methods=["GET", "POST"])
@login_required
def person_new(school_id: int):
    """Add a person to the staff list."""
    context.require("training.manage", school_id)
    errors, form = {}, {}
    if request.method == "POST":
        form = request.form
        try:
            p = service.add_person(context.db(), context.actor(), school_id, person_data(form))
            flash(f"{p.name} added to the staff list.", "success")
            return redirect(url_for("training.person", school_id=school_id, staff_id=p.id))
        except ValidationError as exc:
            errors = exc.errors
    return render_template("training/person_new.html", errors=errors, form=form,
                           **_common(school_id)), 422 if errors else 200


@bp.route("/staff/<int:staff_id>")
@login_required
def person(school_id: int, staff_id: int, errors: dict | None = None, status: int = 200):
    """One person's courses and records (with the forms, for managers)."""
    s, a = context.db(), context.actor()
    p = service.get_person(s, a, school_id, staff_id)
    courses = service.ensure_courses(s, p.trust_id)
    return render_template(
        "training/person.html", person=p, courses=courses,
        states=service.person_courses(s, school_id, p),
        records=service.records_of(s, school_id, [p.id], include_withdrawn=True),
        course_names={c.id: c.label for c in courses}, errors=errors or {},
        max_mb=service.MAX_CERTIFICATE_BYTES // (1024 * 1024), **_common(school_id)), status


@bp.route("/staff/<int:staff_id>/edit", methods=["POST"])
@login_required
def person_edit(school_id: int, staff_id: int):
    """Change a person's details, or record that they have left."""
    context.require("training.manage", school_id)
    try:
        service.update_person(context.db(), context.actor(), school_id, staff_id,
                            person_data(request.form))
    except ValidationError as exc:
        context.db().rollback()
        return person(school_id, staff_id, exc.errors, 422)
    flash("Details saved.", "success")
    return redirect(url_for("training.person", school_id=school_id, staff_id=staff_id))


@bp.route("/staff/<int:staff_id>/records", methods=["POST"])
@login_required
def record_add(school_id: int, staff_id: int):
    """Record completed training, with an optional certificate."""
    context.require("training.manage", school_id)
    s, f = context.db(), request.form
    upload = request.files.get("certificate")
    cert = None
    if upload is not None and upload.filename:
        cert = service.Certificate(upload.filename, upload.read())
    try:
        service.add_record(s, context.actor(), school_id, staff_id, form_int(f, "course_id"),
                           form_date(f, "completed_on"), provider=f.get("provider", ""),
                           notes=f.get("notes", ""), certificate=cert)
    except ValidationError as exc:
        s.rollback()
        return person(school_id, staff_id, exc.errors, 422)
    flash("Training recorded.", "success")
    return redirect(url_for("training.person", school_id=school_id, staff_id=staff_id))


@bp.route("/records/<int:record_id>/withdraw", methods=["POST"])
@login_required
def record_withdraw(school_id: int, record_id: int):
    """Withdraw a record entered by mistake (kept, with the reason)."""
    context.require("training.manage", school_id)
    rec = service.withdraw_record(context.db(), context.actor(), school_id, record_id,
                                  request.form.get("reason", ""))
    flash("Record withdrawn: it no longer counts, and is kept with your reason.", "success")
    return redirect(url_for("training.person", school_id=school_id, staff_id=rec.staff_id))


@bp.route("/records/<int:record_id>/certificate")
@login_required
def certificate(school_id: int, record_id: int):
    """Download a certificate (for whoever may see the person's training)."""
    rec = service.get_certificate(context.db(), context.actor(), school_id, record_id)
    return download(rec.certificate, rec.certificate_name, rec.certificate_type)


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_records(school_id: int):
    """Upload a provider's CSV; on any bad row, the report and nothing imported."""
    context.require("training.manage", school_id)
    result, errors = None, {}
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise ValidationError({"file": ["choose a CSV file"]})
            result = service.import_csv(context.db(), context.actor(), school_id, upload.read())
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


@bp.route("/sessions", methods=["GET", "POST"])
@login_required
def sessions(school_id: int):
    """Sessions, the follow-up list, and adding a session."""
    context.require("training.manage", school_id)
    s, errors = context.db(), {}
    if request.method == "POST":
        f = request.form
        try:
            ts = service.create_session(
                s, context.actor(), school_id, form_int(f, "course_id"),
                form_date(f, "held_on"), f.get("title", ""), f.get("trainer", ""),
                form_ids(f, "staff_ids"))
            flash("Session added: mark attendance once it has taken place.", "success")
            return redirect(url_for("training.session", school_id=school_id, session_id=ts.id))
        except ValidationError as exc:
            s.rollback()
            errors = exc.errors
    school = _school(school_id)
    return render_template(
        "training/sessions.html", sessions=service.list_sessions(s, school_id),
        follow_ups=service.follow_ups(s, school_id),
        courses=service.active_courses(s, school.trust_id),
        people=service.current_staff(s, school_id), errors=errors,
        **_common(school_id)), 422 if errors else 200


@bp.route("/sessions/<int:session_id>", endpoint="session", methods=["GET", "POST"])
@login_required
def session_page(school_id: int, session_id: int):
    """One session's attendance list, marked after it has taken place."""
    context.require("training.manage", school_id)
    s, errors = context.db(), {}
    ts = service.get_session(s, school_id, session_id)
    if request.method == "POST":
        try:
            result = service.mark_attendance(
                s, context.actor(), school_id, session_id, form_ids(request.form, "attended"))
            flash(f"Attendance saved: {result['attended']} attended, {result['absent']} to "
                  "follow up.", "success")
            return redirect(url_for("training.session", school_id=school_id,
                                    session_id=session_id))
        except ValidationError as exc:
            s.rollback()
            errors = exc.errors
    course = next(c for c in service.ensure_courses(s, ts.trust_id) if c.id == ts.course_id)
    return render_template("training/session.html", ts=ts, course=course,
                           rows=service.session_attendance(s, school_id, session_id),
                           errors=errors, **_common(school_id)), 422 if errors else 200


@bp.route("/policies", methods=["GET", "POST"])
@login_required
def policies(school_id: int):
    """Policies in force, signing them, and publishing (managers)."""
    context.require("school.view", school_id)
    s, a, errors = context.db(), context.actor(), {}
    if request.method == "POST":
        context.require("training.manage", school_id)
        f = request.form
        try:
            p = service.publish_policy(s, a, school_id, f.get("title", ""), f.get("version", ""),
                                       f.get("summary", ""))
            flash(f"{p.title} {p.version} published: staff are asked to read and sign it.",
                  "success")
            return redirect(url_for("training.policies", school_id=school_id))
        except ValidationError as exc:
            s.rollback()
            errors = exc.errors
    status = {}
    if can(a, "training.view", school_id):
        status = {p.id: service.policy_status(s, a, school_id, p.id)
                  for p in service.current_policies(s, school_id)}
    return render_template("training/policies.html",
                           to_sign=service.to_sign(s, a, school_id), status=status,
                           on_list=service.own_person(s, a, school_id) is not None,
                           errors=errors, **_common(school_id)), 422 if errors else 200


@bp.route("/policies/<int:policy_id>", endpoint="policy", methods=["GET", "POST"])
@login_required
def policy_page(school_id: int, policy_id: int):
    """Who has signed a policy version; recording paper signatures."""
    context.require("training.view", school_id)
    s, a = context.db(), context.actor()
    if request.method == "POST":
        context.require("training.manage", school_id)
        service.record_paper_signature(s, a, school_id, policy_id,
                                              form_int(request.form, "staff_id"))
        flash("Signature recorded.", "success")
        return redirect(url_for("training.policy", school_id=school_id, policy_id=policy_id))
    return render_template("training/policy.html",
                           st=service.policy_status(s, a, school_id, policy_id),
                           **_common(school_id))


@bp.route("/policies/<int:policy_id>/sign", methods=["POST"])
@login_required
def policy_sign(school_id: int, policy_id: int):
    """The signed-in person signs a policy version."""
    context.require("school.view", school_id)
    service.sign_own(context.db(), context.actor(), school_id, policy_id)
    flash("Thank you: your signature is recorded.", "success")
    return redirect(url_for("training.me", school_id=school_id))


@bp.route("/needs")
@login_required
def needs(school_id: int):
    """Training needs from the categories of recent concerns (counts only)."""
    context.require("training.view", school_id)
    try:
        days = int(request.args.get("days", service.DEFAULT_DAYS))
        if not 7 <= days <= 730:
            raise ValueError
    except ValueError:
        raise ValidationError({"days": ["must be a number of days from 7 to 730"]}) from None
    s = context.db()
    rows = service.needs_analysis(s, context.actor(), school_id, days)
    chart = bar_chart([Point(f"{n.category_label} / {n.course.label}", n.trained_pct)
                       for n in rows], "Staff trained for what children face", unit="%",
                      max_value=100, threshold=service.GAP_BELOW_PCT) if rows else None
    return render_template("training/needs.html", rows=rows, days=days, chart=chart,
                           unmapped=service.unmapped_categories(s, school_id, days),
                           gap_below=service.GAP_BELOW_PCT, **_common(school_id))


@bp.route("/courses", methods=["GET", "POST"])
@login_required
def courses(school_id: int):
    """The trust's courses; trust lead and trust admin may change them."""
    school = _school(school_id)
    a, s = context.actor(), context.db()
    may_edit = can(a, "training.rules", trust_id=school.trust_id)
    if not (may_edit or can(a, "training.view", school_id)):
        context.require("training.rules", trust_id=school.trust_id)
    errors = {}
    if request.method == "POST":
        context.require("training.rules", trust_id=school.trust_id)
        f = request.form
        data = {"label": f.get("label", ""), "validity_months": f.get("validity_months", ""),
                "required_for": f.getlist("required_for"),
                "also_met_by": f.getlist("also_met_by"),
                "concern_categories": f.get("concern_categories", "").split(","),
                "active": f.get("active") in ("1", "on")}
        try:
            if f.get("course_id"):
                service.update_course(s, a, school.trust_id, form_int(f, "course_id"), data)
            else:
                service.add_course(s, a, school.trust_id, f.get("code", ""), data)
            flash("Course rules saved for the whole trust.", "success")
            return redirect(url_for("training.courses", school_id=school_id))
        except ValidationError as exc:
            s.rollback()
            errors = exc.errors
    return render_template("training/courses.html",
                           courses=service.ensure_courses(s, school.trust_id),
                           tokens=service.REQUIREMENT_TOKENS, may_edit=may_edit,
                           errors=errors, **_common(school_id)), 422 if errors else 200


from plugins.training import staff_views  # noqa: E402,F401  (the staff import page, on bp)
