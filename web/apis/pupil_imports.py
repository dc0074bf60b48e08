"""``/api/v1/schools/{school_id}/pupils/imports``: bring pupils in from the school's MIS. A
file (CTF or CSV) is recorded and read by a background job; its status carries the report
(counts; rows to add, change and review; pupils no longer listed; every problem with its line
or XML path and field). ``commit`` false previews; a preview is committed by its ``confirm``."""
from __future__ import annotations

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from core.date_limits import DateTime
from core.errors import ValidationError
from core.mis import service
from web import context
from web.apis import allowed, refusals

blp = Blueprint("api_pupil_imports", __name__,
                url_prefix="/api/v1/schools/<int:school_id>/pupils/imports",
                description="Pupils from the school's MIS: imports, previews and their reports")

MAX_BYTES = 64 * 1024 * 1024


class ImportSchema(Schema):
    id = fields.Int()
    source = fields.Str()
    layout = fields.Str(allow_none=True)
    filename = fields.Str()
    full = fields.Bool()
    status = fields.Str(metadata={"description": "queued, previewed, committed, invalid or "
                                                 "failed"})
    commit_requested = fields.Bool()
    job_id = fields.Str(allow_none=True)
    job_state = fields.Str(allow_none=True)
    created_at = DateTime()
    committed_at = DateTime(allow_none=True)
    report = fields.Dict(allow_none=True)


def _flag(name: str, default: bool | None) -> bool | None:
    raw = (request.form.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise ValidationError({name: ["must be true or false"]})


def _with_state(imp):
    from core.jobqueue import state_of
    from core.jobs import job_status

    run = job_status(imp.job_id) if imp.job_id else None
    imp.job_state = state_of(run) if run else None
    return imp


@blp.route("", methods=["POST"])
@refusals(blp)
@allowed("pupil.manage")
@blp.response(202, ImportSchema)
def start(school_id: int):
    """Send a multipart ``file`` (a CTF or a CSV export), with optional ``format`` (ctf or
    csv; by default from the file), ``layout`` (a saved CSV layout), ``full`` (a CSV lists the
    whole roll unless false; a CTF says so in its header) and ``commit`` (false: preview only,
    the default); or, instead of a file, ``source``: a plugin's MIS source for the school.
    Answers 202 with the import; poll it for the report."""
    s, a = context.db(), context.actor()
    source = (request.form.get("source") or "").strip() or None
    upload = request.files.get("file")
    if source is None and (upload is None or not upload.filename):
        raise ValidationError({"file": ["send the MIS export as a multipart file (or name "
                                        "a source)"]})
    content = upload.read(MAX_BYTES + 1) if source is None else b""
    if len(content) > MAX_BYTES:
        raise ValidationError({"file": ["is larger than 64 MB"]})
    fmt = (request.form.get("format") or "").strip() or None
    if fmt not in (None, "ctf", "csv"):
        raise ValidationError({"format": ["must be ctf or csv"]})
    imp = service.start_import(s, a, school_id, content, upload.filename if upload else "",
                               fmt, (request.form.get("layout") or "").strip() or None,
                               full=_flag("full", None), commit=bool(_flag("commit", False)),
                               source=source)
    service.queue(s, imp)
    s.commit()  # the import and its job together; an inline job runs now, after the commit
    s.refresh(imp)
    return _with_state(imp)


@blp.route("/<int:import_id>", methods=["GET"])
@refusals(blp)
@allowed("pupil.manage")
@blp.response(200, ImportSchema)
def status(school_id: int, import_id: int):
    """An import's status and its report."""
    return _with_state(service.get_import(context.db(), context.actor(), school_id, import_id))


@blp.route("/<int:import_id>/confirm", methods=["POST"])
@refusals(blp)
@allowed("pupil.manage")
@blp.response(202, ImportSchema)
def confirm(school_id: int, import_id: int):
    """Commit a previewed import (compared with the roll again when it runs). An import with
    problems, or already committed: 422 naming ``import``."""
    s = context.db()
    imp = service.confirm_import(s, context.actor(), school_id, import_id)
    s.commit()
    s.refresh(imp)
    return _with_state(imp)
