"""Admin → Jobs: what `mat jobs list` and `mat jobs schedule` show, for the schools one manages.

Four tables: jobs that need attention (failed, or stuck: running with a worker that stopped
sending a heartbeat), jobs waiting or running, the recurring schedule, and the jobs that
finished lately. Failed and stuck jobs have a Retry (:func:`core.jobqueue.retry`). School
admins see their schools' jobs; jobs with no school (sending mail) are the whole platform's,
so only trust admins see them. The page is about the jobs, never their data: no arguments or
results, only the error's text, which is about the system."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy import select

from core import audit, jobqueue, jobs, scheduler
from core.errors import NotFound
from core.models import JobRun, School
from core.policy import schools_where
from web import context
from web.views.admin import bp
from web.views.admin.schools import admin_trusts

LIMIT = 200  # rows per state in the open sections; finished jobs: the last FINISHED
FINISHED = 50
WAITING_ORDER = ("waiting for the queue", "retrying", "queued", "running")
# jobs whose function name alone reads badly; any other is named from its plugin and function
LABELS = {
    "core.mail:send_pending": "Mail",
    "plugins.attendance.jobs:import_batch": "Attendance import",
}
ERROR_LINES = 20


@dataclass
class Row:
    id: str
    label: str
    school: str
    state: str
    attempts: str
    when: str  # what the moment is ("failed", "started"...)
    at: dt.datetime | None
    error_last: str = ""
    error_tail: str = ""
    progress: tuple[int, int] | None = None


def _words(name: str) -> str:
    return name.replace("_", " ").replace("-", " ").strip()


def _plugin_label(plugin: str) -> str:
    try:
        return context.host().info(plugin).label
    except NotFound:  # a plugin removed since the job ran
        return plugin.title()


def recurring_label(name: str) -> str:
    """"attendance:nightly_analysis" -> "Attendance: nightly analysis"."""
    plugin, _, job = name.partition(":")
    for prefix in (f"{plugin}-", f"{plugin}_"):  # "encompass:encompass-overdue"
        if job.startswith(prefix):
            job = job[len(prefix):]
    return f"{_plugin_label(plugin)}: {_words(job)}" if job else _plugin_label(plugin)


def job_label(run: JobRun) -> str:
    """What the job is, in words: "Attendance import", "Mail", "Attendance: nightly
    analysis", else its plugin and function name."""
    if run.func in LABELS:
        return LABELS[run.func]
    if run.recurring:
        return recurring_label(run.recurring)
    name = _words(run.func.rpartition(":")[2])
    if run.plugin:
        return f"{_plugin_label(run.plugin)}: {name}"
    return name[:1].upper() + name[1:]


def _when(run: JobRun, state: str) -> tuple[str, dt.datetime | None]:
    if state in ("failed", "done", "skipped"):
        return "finished", run.finished_at
    if state == "stuck":
        return "last heard from", run.heartbeat_at or run.started_at
    if state == "running":
        return "started", run.started_at
    if state == "retrying":
        return "next try", run.run_after
    return "queued", run.enqueued_at


def _row(run: JobRun, names: dict[int, str]) -> Row:
    state = jobqueue.state_of(run)
    lines = (run.error or "").strip().splitlines()
    when, at = _when(run, state)
    attempts = str(run.attempts) if state in ("done", "skipped") else \
        f"{run.attempts} of {run.max_attempts}"
    progress = (run.progress_done, run.progress_total) \
        if state in ("running", "stuck") and run.progress_total else None
    return Row(id=run.id, label=job_label(run),
               school="Trust-wide" if run.school_id is None else names.get(run.school_id, ""),
               state=state, attempts=attempts, when=when, at=at,
               error_last=lines[-1] if lines else "",
               error_tail="\n".join(lines[-ERROR_LINES:]), progress=progress)


def _scope() -> tuple[list[int], bool]:
    """The schools whose jobs the actor sees, and whether they see jobs with no school (a
    trust admin: those jobs serve every school). 404 when neither."""
    school_ids = schools_where(context.actor(), "jobs.view")
    unscoped = bool(admin_trusts())
    if not school_ids and not unscoped:
        abort(404)
    return school_ids, unscoped


def _recurring(s, school_ids: list[int]) -> list[dict]:
    """The schedule, each job's outcome counted over the actor's schools only (the rest of
    the platform's schools are not theirs to count)."""
    out = []
    for entry in scheduler.schedule():
        last = dt.datetime.fromisoformat(entry["last_run"]) if entry["last_run"] else None
        outcome = ""
        if last is not None:  # that tick's jobs: the window core.scheduler.schedule counts
            runs = list(s.scalars(select(JobRun).where(
                JobRun.recurring == entry["name"], JobRun.school_id.in_(school_ids),
                JobRun.enqueued_at >= last - dt.timedelta(minutes=5))))
            counts: dict[str, int] = {}
            for r in runs:
                state = jobqueue.state_of(r)
                counts[state] = counts.get(state, 0) + 1
            outcome = ", ".join(f"{n} {st}" for st, n in sorted(counts.items())) or \
                "none of your schools"
        out.append({"label": recurring_label(entry["name"]), "name": entry["name"],
                    "cron": cron_words(entry["cron"]), "last_run": last, "outcome": outcome,
                    "next_run": dt.datetime.fromisoformat(entry["next_run"])})
    return sorted(out, key=lambda j: j["label"].lower())


def cron_words(cron: str) -> str:
    """A cron line as people read it, in UK time ("daily at 01:30 (UK time)"); one this does
    not know is shown as it is."""
    parts = cron.split()
    if len(parts) != 5:
        return cron  # "every 30 s" (a test setting): not a cron
    minute, hour, day, month, weekday = parts
    said = None
    if minute.startswith("*/") and minute[2:].isdigit() and [hour, day, month, weekday] == \
            ["*"] * 4:
        said = f"every {int(minute[2:])} minutes"
    elif minute.isdigit() and hour.isdigit() and (day, month) == ("*", "*"):
        at = f"{int(hour):02d}:{int(minute):02d}"
        said = {"*": f"daily at {at}", "1-5": f"weekdays at {at}"}.get(weekday)
    return f"{said or cron} (UK time)"


@bp.route("/jobs", endpoint="jobs")
@login_required
def jobs_page():
    school_ids, unscoped = _scope()
    s = context.db()
    names = dict(s.execute(select(School.id, School.name).where(School.id.in_(school_ids))).all())

    def listed(status: str, limit: int = LIMIT) -> list[JobRun]:
        return jobqueue.list_jobs(s, status=status, school_ids=school_ids, limit=limit,
                                  include_unscoped=unscoped)

    attention = [_row(r, names) for r in listed("stuck") + listed("failed")]
    waiting = [_row(r, names) for r in listed("queued") + listed("running")]
    waiting = sorted((r for r in waiting if r.state != "stuck"),
                     key=lambda r: WAITING_ORDER.index(r.state)
                     if r.state in WAITING_ORDER else len(WAITING_ORDER))
    finished = sorted((_row(r, names) for r in listed("done", FINISHED)
                       + listed("skipped", FINISHED)),
                      key=lambda r: r.at or dt.datetime.min.replace(tzinfo=dt.timezone.utc),
                      reverse=True)[:FINISHED]
    return render_template(
        "admin/jobs.html", attention=attention, waiting=waiting, finished=finished,
        recurring=_recurring(s, school_ids), limit=LIMIT, finished_limit=FINISHED,
        unreachable=sum(1 for r in waiting if r.state == "waiting for the queue"),
        redis=bool(jobs.redis_url()))


@bp.route("/jobs/<job_id>/retry", methods=["POST"])
@login_required
def retry_job(job_id: str):
    """Run a failed or stuck job again, under the same id so it stays one job."""
    school_ids, unscoped = _scope()
    s = context.db()
    run = s.get(JobRun, job_id)
    if run is None or (run.school_id is None and not unscoped) or \
            (run.school_id is not None and run.school_id not in school_ids):
        abort(404)
    label, school_id, func_path = job_label(run), run.school_id, run.func
    try:
        jobs.resolve(func_path)
    except (ImportError, AttributeError):
        flash(f"{label}: its code ({func_path}) no longer exists (a plugin removed?), so it "
              "cannot be retried.", "error")
        return redirect(url_for("admin.jobs"))
    s.rollback()  # end this request's read before the retry writes in its own transaction
    after, retried = jobqueue.retry(job_id)
    if after is None:
        abort(404)
    if not retried:
        flash(f"That job is {jobqueue.state_of(after)}: nothing to retry.", "info")
        return redirect(url_for("admin.jobs"))
    trusts = admin_trusts()
    audit.record(s, "job.retried", actor=context.actor(), object_type="job", object_id=job_id,
                 school_id=school_id, trust_id=None if school_id is not None or not trusts
                 else trusts[0], detail={"func": func_path})
    flash(f"{label} retried: now {jobqueue.state_of(after)}.", "success")
    return redirect(url_for("admin.jobs"))
