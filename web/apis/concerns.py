"""``/api/v1/schools/{school_id}/concerns``: any member of staff records a concern (files
may ride along base64-encoded); the DSL team lists and reads the whole file; the person who
recorded a concern reads their own record, not the DSL's work on it. Every read is audited
(by :func:`core.concerns.get_concern`)."""
from __future__ import annotations


from flask import current_app
from flask_smorest import Blueprint
from sqlalchemy import select

from core import concerns
from core.models import Attachment, ConcernCategory, Pupil
from core.policy import can
from web import context
from web.pages import download
from web.apis import allowed, refusals
from web.apis.schemas import (
    ConcernCreateSchema,
    ConcernQuerySchema,
    ConcernRowSchema,
    ConcernSchema,
)

blp = Blueprint("api_concerns", __name__,
                url_prefix="/api/v1/schools/<int:school_id>/concerns",
                description="Safeguarding concerns: recorded by any member of staff, "
                            "read in full by the DSL team")


@blp.route("", methods=["GET"])
@refusals(blp)
@allowed("school.view")
@blp.arguments(ConcernQuerySchema, location="query")
@blp.response(200, ConcernRowSchema(many=True))
def list_concerns(args, school_id: int):
    """The school's concerns, newest first, for the DSL team (filter by ``status`` or
    ``pupil_id``); with ``mine=true``, the concerns the caller recorded, for anyone who
    records them."""
    return concerns.list_concerns(context.db(), context.actor(), school_id,
                                  status=args.get("status"), pupil_id=args.get("pupil_id"),
                                  mine=args["mine"], limit=args["limit"])


@blp.route("", methods=["POST"])
@refusals(blp)
@allowed("concern.record")
@blp.arguments(ConcernCreateSchema)
@blp.response(201, ConcernSchema)
def record_concern(data, school_id: int):
    """Record a concern about one or more pupils of the school. No threshold: a niggle is
    enough. Attachments (PDF, images, text, Word; up to the configured size each) are sent
    base64-encoded; if anything is wrong nothing is stored."""
    s, a = context.db(), context.actor()
    files = [concerns.NewAttachment(f["filename"], f["content_type"], f["data"])
             for f in data.pop("attachments")]
    limit = current_app.config["MAT_SETTINGS"].max_attachment_bytes
    concern = concerns.record_concern(s, a, school_id, attachments=files,
                                      max_attachment_bytes=limit, **data)
    pupils = s.scalars(select(Pupil).where(Pupil.id.in_(data["pupil_ids"]))
                       .order_by(Pupil.last_name)).all()
    cats = s.scalars(select(ConcernCategory).where(
        ConcernCategory.id.in_(data["category_ids"])).order_by(ConcernCategory.position)).all()
    atts = s.scalars(select(Attachment).where(Attachment.concern_id == concern.id)).all()
    return _body(concern, pupils, cats, atts, view="own", status=None, entries=[],
                 can_write=can(a, "casefile.write", school_id))


@blp.route("/<int:concern_id>", methods=["GET"])
@refusals(blp)
@blp.response(200, ConcernSchema)
def get_concern(school_id: int, concern_id: int):
    """One concern. The DSL team get the whole file (entries and status); the member of
    staff who recorded it gets their own record only. The read is audited."""
    v = concerns.get_concern(context.db(), context.actor(), school_id, concern_id)
    full = can(context.actor(), "casefile.read", school_id)
    return _body(v.concern, v.pupils, v.categories, v.attachments,
                 view="full" if full else "own", status=v.status if full else None,
                 entries=v.entries, can_write=v.can_write)


@blp.route("/<int:concern_id>/attachments/<int:attachment_id>", methods=["GET"])
@refusals(blp)
@blp.alt_response(200, success=True, content_type="application/octet-stream",
                  schema={"type": "string", "format": "binary"},
                  description="The file as it was uploaded")
def download_attachment(school_id: int, concern_id: int, attachment_id: int):
    """Download a file attached to a concern (same access as the concern; audited)."""
    att = concerns.get_attachment(context.db(), context.actor(), school_id, concern_id,
                                  attachment_id)
    return download(att.data, att.filename, att.content_type)


def _body(concern, pupils, categories, attachments, *, view, status, entries, can_write):
    c = concern
    return {"id": c.id, "school_id": c.school_id, "recorded_by_id": c.recorded_by_id,
            "recorded_at": c.recorded_at, "occurred_at": c.occurred_at, "location": c.location,
            "fact": c.fact, "child_words": c.child_words, "opinion": c.opinion,
            "source": c.source, "pupils": pupils, "categories": categories,
            "attachments": attachments, "view": view, "status": status,
            "entries": entries, "can_write": can_write}
