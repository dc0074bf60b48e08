"""Admin: failed background jobs of the schools one manages (function, school, error,
attempts), and a retry that enqueues the same job again under the same job id."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy import select

from core import audit, jobs
from core.models import JobRun, School
from core.policy import can, schools_where
from web import context
from web.views.admin import bp

# URL rules together at the top
RULES = [
    ("/jobs", "jobs", ["GET"]),
    ("/jobs/<job_id>/retry", "retry_job", ["POST"]),
]


@bp.route(RULES[0][0], endpoint="jobs")
@login_required
def jobs_page():
    school_ids = schools_where(context.actor(), "jobs.view")
    if not school_ids:
        abort(404)
    s = context.db()
    rows = list(s.scalars(select(JobRun).where(JobRun.status == "failed",
                                               JobRun.school_id.in_(school_ids))
                          .order_by(JobRun.finished_at.desc()).limit(200)))
    names = dict(s.execute(select(School.id, School.name).where(School.id.in_(school_ids))).all())
    return render_template("admin/jobs.html", rows=rows, names=names)


@bp.route(RULES[1][0], methods=["POST"])
@login_required
def retry_job(job_id: str):
    """Run a failed job again (same function, arguments and id, so it stays one job)."""
    s = context.db()
    run = s.get(JobRun, job_id)
    if run is None or run.school_id is None or not can(context.actor(), "jobs.view",
                                                       run.school_id):
        abort(404)
    if run.status != "failed":
        flash("That job is not failed (any more): nothing to retry.", "info")
        return redirect(url_for("admin.jobs"))
    func_path, school_id, plugin, user_id = run.func, run.school_id, run.plugin, run.user_id
    args, kwargs = run.args.get("args", []), run.args.get("kwargs", {})
    try:
        func = jobs.resolve(func_path)
    except (ImportError, AttributeError):
        flash(f"{func_path} no longer exists (a plugin removed?): it cannot be retried.",
              "error")
        return redirect(url_for("admin.jobs"))
    s.rollback()  # end this request's read before the job writes in its own transaction
    jobs.enqueue(func, *args, school_id=school_id, plugin=plugin, user_id=user_id,
                 job_id=job_id, **kwargs)
    audit.record(s, "job.retried", actor=context.actor(), object_type="job", object_id=job_id,
                 school_id=school_id, detail={"func": func_path})
    after = jobs.job_status(job_id)
    flash(f"Job retried: now {after.status if after else 'queued'}.", "success")
    return redirect(url_for("admin.jobs"))
