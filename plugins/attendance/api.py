"""``/api/v1/schools/<id>/attendance``: upload marks, read a pupil's marks and measures, read a
school's summary. Bad input answers 422 naming each field (and line, for files)."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

from flask import current_app, request
from flask_login import login_required
from flask_smorest import Blueprint

from core.errors import ValidationError
from web import context

from plugins.attendance import jobs, service
from plugins.attendance.schemas import BatchSchema, PupilAttendanceSchema, RangeQuery, SummarySchema

blp = Blueprint("api_attendance", __name__,
                url_prefix="/api/v1/schools/<int:school_id>/attendance",
                description="Register marks and absence measures")


def _range(args: dict):
    start, end = service.year_to_date()
    start, end = args.get("start", start), args.get("end", end)
    if end < start:
        raise ValidationError({"end": ["must be on or after start"]})
    return start, end


@blp.route("/imports", methods=["POST"])
@blp.response(201, BatchSchema)
@login_required
def upload(school_id: int):
    """Import marks: a JSON body ``{"marks": [{"upn", "date", "session", "code"}]}`` is imported
    at once (201); a multipart ``file`` (with ``source`` csv or ctf and an optional ``layout``
    JSON object) is queued as a job (its status has ``job_id``; poll the import)."""
    context.require("pupil.manage", school_id)
    s, a = context.db(), context.actor()
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ValidationError({"marks": ["send a JSON object with a list of marks"]})
        return service.import_json(s, a, school_id, body.get("marks"))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError({"file": ["send a file, or a JSON body of marks"]})
    try:
        layout = json.loads(request.form.get("layout") or "{}")
    except ValueError:
        raise ValidationError({"layout": ["must be a JSON object"]}) from None
    source = request.form.get("source", "csv")
    folder = Path(current_app.config["MAT_SETTINGS"].instance_path) / "attendance_imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.upload"
    upload.save(path)
    try:
        batch = service.create_batch(s, a, school_id, source, str(path), upload.filename,
                                     layout if isinstance(layout, dict) else {"layout": layout})
    except ValidationError:
        path.unlink()
        raise
    jobs.queue_import(s, batch, a.user_id, delete_after=True)
    s.commit()  # the batch and its job together; an inline job runs now, after the commit
    s.refresh(batch)
    return _with_job_state(batch)


def _with_job_state(batch):
    batch.job_state, batch.note = jobs.import_state(batch)
    return batch


@blp.route("/imports/<int:batch_id>")
@blp.response(200, BatchSchema)
@login_required
def batch_status(school_id: int, batch_id: int):
    """An import's status, with every problem found (line, field, problem)."""
    return _with_job_state(service.get_batch(context.db(), context.actor(), school_id,
                                             batch_id))


@blp.route("/pupils/<int:pupil_id>")
@blp.arguments(RangeQuery, location="query")
@blp.response(200, PupilAttendanceSchema)
@login_required
def pupil_attendance(args, school_id: int, pupil_id: int):
    """A pupil's marks and measures over a range (default this academic year)."""
    s = context.db()
    start, end = _range(args)
    marks = service.pupil_marks(s, context.actor(), school_id, pupil_id, start, end)
    return {"pupil_id": pupil_id, "start": start, "end": end, "marks": marks,
            "measures": service.pupil_measures(s, school_id, pupil_id, start, end)}


@blp.route("/summary")
@blp.arguments(RangeQuery, location="query")
@blp.response(200, SummarySchema)
@login_required
def summary(args, school_id: int):
    """The school's attendance, persistent and severe absence over a range."""
    context.require("school.figures", school_id)
    s = context.db()
    start, end = _range(args)
    m = service.school_measures(s, school_id, start, end)
    return {"start": start, "end": end, **m.as_dict(),
            "open_signals": service.open_signal_count(s, school_id)}
