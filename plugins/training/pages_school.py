"""Pages about the school as a whole: sessions and their attendance, policies to read and
sign, the needs analysis, and the trust's course rules."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from core.errors import ValidationError
from core.policy import can
from plugins.training import courses as course_rules
from plugins.training import needs as needs_service
from plugins.training import policies as policy_service
from plugins.training import sessions as session_service
from plugins.training.forms import form_date, form_ids, form_int
from plugins.training.pages_people import _common, _school
from plugins.training.staff import current_staff, own_person
from web import context
from web.charts import Point, bar_chart


def sessions(school_id: int):
    """Sessions, the follow-up list, and adding a session."""
    context.require("training.manage", school_id)
    s, errors = context.db(), {}
    if request.method == "POST":
        f = request.form
        try:
            ts = session_service.create_session(
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
        "training/sessions.html", sessions=session_service.list_sessions(s, school_id),
        follow_ups=session_service.follow_ups(s, school_id),
        courses=course_rules.active_courses(s, school.trust_id),
        people=current_staff(s, school_id), errors=errors,
        **_common(school_id)), 422 if errors else 200


def session_page(school_id: int, session_id: int):
    """One session's attendance list, marked after it has taken place."""
    context.require("training.manage", school_id)
    s, errors = context.db(), {}
    ts = session_service.get_session(s, school_id, session_id)
    if request.method == "POST":
        try:
            result = session_service.mark_attendance(
                s, context.actor(), school_id, session_id, form_ids(request.form, "attended"))
            flash(f"Attendance saved: {result['attended']} attended, {result['absent']} to "
                  "follow up.", "success")
            return redirect(url_for("training.session", school_id=school_id,
                                    session_id=session_id))
        except ValidationError as exc:
            s.rollback()
            errors = exc.errors
    course = next(c for c in course_rules.ensure_courses(s, ts.trust_id) if c.id == ts.course_id)
    return render_template("training/session.html", ts=ts, course=course,
                           rows=session_service.attendance(s, school_id, session_id),
                           errors=errors, **_common(school_id)), 422 if errors else 200


def policies(school_id: int):
    """Policies in force, signing them, and publishing (managers)."""
    context.require("school.view", school_id)
    s, a, errors = context.db(), context.actor(), {}
    if request.method == "POST":
        context.require("training.manage", school_id)
        f = request.form
        try:
            p = policy_service.publish(s, a, school_id, f.get("title", ""), f.get("version", ""),
                                       f.get("summary", ""))
            flash(f"{p.title} {p.version} published: staff are asked to read and sign it.",
                  "success")
            return redirect(url_for("training.policies", school_id=school_id))
        except ValidationError as exc:
            s.rollback()
            errors = exc.errors
    status = {}
    if can(a, "training.view", school_id):
        status = {p.id: policy_service.policy_status(s, a, school_id, p.id)
                  for p in policy_service.current_policies(s, school_id)}
    return render_template("training/policies.html",
                           to_sign=policy_service.to_sign(s, a, school_id), status=status,
                           on_list=own_person(s, a, school_id) is not None,
                           errors=errors, **_common(school_id)), 422 if errors else 200


def policy_page(school_id: int, policy_id: int):
    """Who has signed a policy version; recording paper signatures."""
    context.require("training.view", school_id)
    s, a = context.db(), context.actor()
    if request.method == "POST":
        context.require("training.manage", school_id)
        policy_service.record_paper_signature(s, a, school_id, policy_id,
                                              form_int(request.form, "staff_id"))
        flash("Signature recorded.", "success")
        return redirect(url_for("training.policy", school_id=school_id, policy_id=policy_id))
    return render_template("training/policy.html",
                           st=policy_service.policy_status(s, a, school_id, policy_id),
                           **_common(school_id))


def policy_sign(school_id: int, policy_id: int):
    """The signed-in person signs a policy version."""
    context.require("school.view", school_id)
    policy_service.sign_own(context.db(), context.actor(), school_id, policy_id)
    flash("Thank you: your signature is recorded.", "success")
    return redirect(url_for("training.me", school_id=school_id))


def needs(school_id: int):
    """Training needs from the categories of recent concerns (counts only)."""
    context.require("training.view", school_id)
    try:
        days = int(request.args.get("days", needs_service.DEFAULT_DAYS))
        if not 7 <= days <= 730:
            raise ValueError
    except ValueError:
        raise ValidationError({"days": ["must be a number of days from 7 to 730"]}) from None
    s = context.db()
    rows = needs_service.needs_analysis(s, context.actor(), school_id, days)
    chart = bar_chart([Point(f"{n.category_label} / {n.course.label}", n.trained_pct)
                       for n in rows], "Staff trained for what children face", unit="%",
                      max_value=100, threshold=needs_service.GAP_BELOW_PCT) if rows else None
    return render_template("training/needs.html", rows=rows, days=days, chart=chart,
                           unmapped=needs_service.unmapped_categories(s, school_id, days),
                           gap_below=needs_service.GAP_BELOW_PCT, **_common(school_id))


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
                course_rules.update_course(s, a, school.trust_id, form_int(f, "course_id"), data)
            else:
                course_rules.add_course(s, a, school.trust_id, f.get("code", ""), data)
            flash("Course rules saved for the whole trust.", "success")
            return redirect(url_for("training.courses", school_id=school_id))
        except ValidationError as exc:
            s.rollback()
            errors = exc.errors
    return render_template("training/courses.html",
                           courses=course_rules.ensure_courses(s, school.trust_id),
                           tokens=course_rules.REQUIREMENT_TOKENS, may_edit=may_edit,
                           errors=errors, **_common(school_id)), 422 if errors else 200
