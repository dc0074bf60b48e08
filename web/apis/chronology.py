"""``/api/v1/schools/{school_id}/pupils/{pupil_id}/chronology``: a pupil's whole timeline
(concerns, the DSL's entries, flags, roll changes and what enabled plugins contribute), newest
first, for the DSL team and the trust safeguarding lead. The read is audited."""
from __future__ import annotations

from flask_smorest import Blueprint

from core.chronology import pupil_chronology
from web import context
from web.apis import allowed, refusals
from web.apis.schemas import ChronologyItemSchema, ChronologyQuerySchema

blp = Blueprint("api_chronology", __name__,
                url_prefix="/api/v1/schools/<int:school_id>/pupils/<int:pupil_id>/chronology",
                description="A pupil's safeguarding chronology")


@blp.route("", methods=["GET"])
@refusals(blp)
@allowed("casefile.read")
@blp.arguments(ChronologyQuerySchema, location="query")
@blp.response(200, ChronologyItemSchema(many=True))
def chronology(args, school_id: int, pupil_id: int):
    """The timeline, newest first. ``kind`` (repeatable) keeps entries of that kind, kind
    family (``entry`` for every DSL entry) or plugin; ``start``/``end`` are UK dates,
    inclusive."""
    return pupil_chronology(context.db(), context.actor(), school_id, pupil_id,
                            kinds=set(args["kind"]) or None, start=args.get("start"),
                            end=args.get("end"))
