"""Attendance pages: the school dashboard, the import page with progress, signal review."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from core import audit, date_limits
from core.errors import ValidationError
from core.models.pupils import YEAR_GROUPS
from web import context
from web.charts import Point, line_chart

from plugins.attendance import jobs, service
from plugins.attendance.definition import NAME

bp = Blueprint(NAME, __name__, template_folder="templates",
               url_prefix="/schools/<int:school_id>/attendance")


def _range() -> tuple[dt.date, dt.date]:
    start, end = service.year_to_date()
    for name in ("start", "end"):
        if not request.args.get(name):
            continue
        try:
            day = date_limits.parse_date(request.args[name])
        except date_limits.OutOfRange:
            raise ValidationError({name: [date_limits.OUT_OF_RANGE]}) from None
        except ValueError:
            raise ValidationError({name: ["dates are written YYYY-MM-DD"]}) from None
        start, end = (day, end) if name == "start" else (start, day)
    if end < start:
        raise ValidationError({"end": ["must be on or after the start"]})
    return start, end


@bp.route("/")
@login_required
def dashboard(school_id: int):
    context.require("dashboard.view", school_id)
    s, a = context.db(), context.actor()
    start, end = _range()
    data = service.dashboard_data(s, school_id, start, end)
    audit.record(s, "attendance.dashboard_read", actor=a, object_type="school",
                 object_id=school_id, school_id=school_id)
    points = [Point(w.strftime("%d %b"), c.attendance_pct) for w, c in data["trend"]]
    known = [p.value for p in points if p.value is not None]
    # start the axis a little below the lowest week so a fall of a few points is visible
    floor = max(0, min(90, (int(min(known)) // 5) * 5 - 5)) if known else 0
    chart = line_chart(points, "School attendance by week", unit="%", min_value=floor,
                       max_value=100)
    return render_template("attendance/dashboard.html", school_id=school_id, start=start,
                           end=end, year_labels=YEAR_GROUPS, chart=chart, **data)


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_form(school_id: int):
    context.require("pupil.manage", school_id)
    if request.method == "GET":
        return render_template("attendance/import.html", school_id=school_id, errors={},
                               form={})
    form = request.form
    errors: dict[str, list[str]] = {}
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        errors["file"] = ["choose a file to import"]
    source = form.get("source", "csv")
    layout = {k: form[k].strip() for k in ("format", "pupil", "pupil_key", "date", "session",
                                           "code") if form.get(k, "").strip()}
    if errors:
        return render_template("attendance/import.html", school_id=school_id, errors=errors,
                               form=form), 422
    folder = Path(current_app.config["MAT_SETTINGS"].instance_path) / "attendance_imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.{'xml' if source == 'ctf' else 'csv'}"
    upload.save(path)
    s = context.db()
    try:
        batch = service.create_batch(s, context.actor(), school_id, source, str(path),
                                     upload.filename, layout)
    except ValidationError as exc:
        path.unlink()
        return render_template("attendance/import.html", school_id=school_id,
                               errors=exc.errors, form=form), 422
    jobs.queue_import(s, batch, context.actor().user_id, delete_after=True)
    s.commit()  # the batch and its job together; an inline job runs now, after the commit
    return redirect(url_for("attendance.import_status", school_id=school_id, batch_id=batch.id))


@bp.route("/imports/<int:batch_id>")
@login_required
def import_status(school_id: int, batch_id: int):
    s = context.db()
    batch = service.get_batch(s, context.actor(), school_id, batch_id)
    s.refresh(batch)
    from core.jobs import job_status

    run = job_status(batch.job_id) if batch.job_id else None
    state, note = jobs.import_state(batch)
    return render_template("attendance/import_status.html", school_id=school_id, batch=batch,
                           run=run, state=state, note=note, layout=json.dumps(batch.layout))


@bp.route("/signals/<int:signal_id>/reviewed", methods=["POST"])
@login_required
def review_signal(school_id: int, signal_id: int):
    context.require("casefile.write", school_id)
    service.review_signal(context.db(), context.actor(), school_id, signal_id)
    flash("Signal marked as reviewed.", "success")
    return redirect(url_for("attendance.dashboard", school_id=school_id))

