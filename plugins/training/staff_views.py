"""The staff import page (on the training blueprint): upload the school's staff CSV, see the
preview (adds, changes, leavers, invitations, or every problem by line and field), then
confirm. The preview carries the file back in the form and a digest of what it showed: if the
staff list changed in between, the confirmation shows the new preview instead of importing."""
from __future__ import annotations

import base64
import binascii

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from core.calendar import uk_date
from core.errors import ValidationError
from core.policy import can
from plugins.training import staff_import
from plugins.training.models import JOB_ROLES, SAFEGUARDING_ROLES
from plugins.training.views import _common, bp
from web import context


def _invite_link(raw: str) -> str:
    return url_for("auth.invite", token=raw, _external=True)


LABELS = {"name": "name", "email": "email", "job_role": "job role",
          "safeguarding_role": "safeguarding role", "recruits": "recruits",
          "started_on": "start date", "left_on": "leaving date", "mis_id": "staff id"}


def _shown(field: str, value) -> str:
    """A value of the preview as people read it (UK dates, labels, yes/no)."""
    if value is None or value == "":
        return "(none)"
    if field in ("started_on", "left_on"):
        return uk_date(value)
    if field == "recruits":
        return "yes" if value else "no"
    return {"job_role": JOB_ROLES, "safeguarding_role": SAFEGUARDING_ROLES}.get(
        field, {}).get(value, str(value))


def _changes(plan) -> list[tuple[str, int, list[tuple[str, str, str]]]]:
    return [(person.name, row.line, [(LABELS[f], _shown(f, old), _shown(f, new))
                                     for f, (old, new) in sorted(changed.items())])
            for person, row, changed in plan.changes] if plan else []


def _page(school_id: int, *, plan=None, errors=None, content: str = "", full: bool = True,
          notice: str = "", status: int = 200):
    return render_template(
        "training/staff_import.html", plan=plan, changes=_changes(plan), errors=errors or {},
        content=content,
        full=full, notice=notice, max_kb=staff_import.MAX_BYTES // 1024,
        can_invite=can(context.actor(), "school.admin", school_id),
        **_common(school_id)), status


def _uploaded() -> tuple[bytes, str]:
    """The file's bytes and the form's copy of them: a new upload, or the preview's."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        data = upload.read(staff_import.MAX_BYTES + 1)
        return data, base64.b64encode(data).decode()
    carried = request.form.get("content", "")
    try:
        data = base64.b64decode(carried, validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data:
        raise ValidationError({"file": ["choose the staff CSV file"]})
    return data, carried


@bp.route("/staff/import", methods=["GET", "POST"])
@login_required
def staff_import_page(school_id: int):
    """Upload and preview (``action=preview``), then confirm (``action=confirm``)."""
    context.require("training.manage", school_id)
    if request.method == "GET":
        return _page(school_id)
    s, a = context.db(), context.actor()
    full = request.form.get("full") == "yes"
    try:
        data, content = _uploaded()
        plan = staff_import.plan_import(s, a, school_id, data, full=full)
    except ValidationError as exc:
        return _page(school_id, errors=exc.errors, full=full, status=422)
    if not plan.ok:
        return _page(school_id, plan=plan, full=full, status=422)
    if request.form.get("action") != "confirm":
        return _page(school_id, plan=plan, content=content, full=full)
    if request.form.get("digest") != plan.digest():
        return _page(school_id, plan=plan, content=content, full=full, status=409,
                     notice="The staff list changed since your preview: check what the "
                            "import would do now, then confirm again.")
    with s.begin_nested():
        result = staff_import.apply_plan(s, a, school_id, plan, link=_invite_link)
    flash(f"Staff list imported: {result['adds']} added, {result['changes']} changed, "
          f"{result['leavers']} left, {result['invitations']} invited.", "success")
    if result["links"] and not current_app.config["MAT_SETTINGS"].smtp_host:
        for name, email, link in result["links"]:
            flash(f"Mail is not set up, so send {name} ({email}) this link yourself (shown "
                  f"only once, works once): {link}", "info")
    return redirect(url_for("training.matrix", school_id=school_id))
