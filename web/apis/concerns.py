"""``/api/v1/schools/{school_id}/concerns``: any member of staff records a concern (files
may ride along base64-encoded); the DSL team lists and reads the whole file; the person who
recorded a concern reads their own record, not the DSL's work on it. Every read is audited
(by :func:`core.concerns.get_concern`)."""
from __future__ import annotations

import dataclasses

from flask import current_app, url_for
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from core import concern_search, concerns
from core.errors import ValidationError
from core.models import Attachment, ConcernCategory, Pupil
from core.policy import can
from web import context
from web.pages import download
from web.apis import allowed, refusals
from web.apis.schemas import (
    ConcernCreateSchema,
    ConcernExportQuerySchema,
    ConcernPageSchema,
    ConcernQuerySchema,
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
@blp.response(200, ConcernPageSchema)
def list_concerns(args, school_id: int):
    """The school's concerns for the DSL team, newest first, a page at a time (follow
    ``next`` and ``previous``): searched with ``q`` across each concern and its DSL entries,
    and filtered. With ``mine=true``, the concerns the caller recorded, for anyone who
    records them (searched in what they recorded only)."""
    wanted, mine = _filters(args)
    page = _answer_422(lambda: concern_search.find_concerns(
        context.db(), context.actor(), school_id, wanted, mine=mine,
        after=args.get("after"), before=args.get("before"), per_page=args["per_page"]))
    links = {**wanted.given(), **({"mine": "true"} if mine else {}),
             "per_page": args["per_page"]}
    return {"items": page.rows, "total": page.total, "per_page": page.per_page,
            "next": _link(school_id, links, after=page.next),
            "previous": _link(school_id, links, before=page.previous)}


@blp.route("/export", methods=["GET"])
@refusals(blp)
@allowed("casefile.read")
@blp.arguments(ConcernExportQuerySchema, location="query")
@blp.alt_response(200, success=True, content_type="text/csv",
                  schema={"type": "string", "format": "binary"},
                  description="One row per concern of the filtered list, newest first")
def export_concerns(args, school_id: int):
    """The whole filtered list as CSV (the list's columns, not what was written), for the
    DSL team; ``mine=true`` exports only the caller's own. Audited with the filters and the
    number of rows."""
    wanted, mine = _filters(args)
    export = _answer_422(lambda: concern_search.export_concerns(
        context.db(), context.actor(), school_id, wanted, mine=mine))
    return download(export.text.encode("utf-8"), export.filename, "text/csv; charset=utf-8")


def _filters(args) -> tuple[concern_search.ConcernFilters, bool]:
    names = {f.name for f in dataclasses.fields(concern_search.ConcernFilters)}
    given = {k: v for k, v in args.items() if k in names}
    given["status"] = tuple(given.get("status") or ())
    return concern_search.ConcernFilters(**given), args["mine"]


def _answer_422(call):
    """The service's refusal of a filter, under ``query`` as the schema's own are."""
    try:
        return call()
    except ValidationError as exc:
        abort(422, message="Some filters could not be used", messages={"query": exc.errors})


def _link(school_id: int, params: dict, **position) -> str | None:
    position = {k: v for k, v in position.items() if v}
    if not position:
        return None
    return url_for("api_concerns.list_concerns", school_id=school_id, **params, **position)


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
    # what was just stored is read back only when there is something to read: a concern
    # without categories or files (most of them) has none to show
    cats = s.scalars(select(ConcernCategory).where(
        ConcernCategory.id.in_(data["category_ids"])).order_by(ConcernCategory.position)).all() \
        if data["category_ids"] else []
    atts = s.scalars(select(Attachment).where(Attachment.concern_id == concern.id)).all() \
        if files else []
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
