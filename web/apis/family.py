"""``/api/v1/schools/{school_id}/pupils/{pupil_id}/family``: a pupil's family links across the
trust's schools (case-file readers; every read audited), and for the DSL team: find a relative
by name in any school of the trust, add a link, end one (kept, never deleted), and the
suggested links (pupils sharing the address) to confirm or dismiss. A relative at another
school is given by name, year group and school only."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields
from marshmallow.validate import Length, OneOf

from core import families
from core.date_limits import Date
from core.pupils import get_pupil
from web import context
from web.apis import allowed, refusals
from web.apis.schemas import Id, StrictSchema, Text, UtcDateTime

blp = Blueprint("api_family", __name__,
                url_prefix="/api/v1/schools/<int:school_id>/pupils/<int:pupil_id>/family",
                description="Family links across the trust's schools")


class RelativeSchema(Schema):
    pupil_id = fields.Int()
    name = fields.Str()
    year = fields.Str(metadata={"description": "The year group in words"})
    school_id = fields.Int()
    school_name = fields.Str()
    on_roll = fields.Bool()
    can_open = fields.Bool(metadata={"description": "Whether the caller may open their file"})


class FamilyLinkSchema(RelativeSchema):
    link_id = fields.Int()
    relation = fields.Str()
    relation_label = fields.Str()
    same_school = fields.Bool()
    recorded_at = UtcDateTime()
    ended_on = Date(allow_none=True)
    end_reason = fields.Str(allow_none=True)
    current = fields.Bool()


class FoundSchema(RelativeSchema):
    linked = fields.Bool(metadata={"description": "Already linked to this pupil"})


class SuggestionSchema(RelativeSchema):
    reason = fields.Str()


class DismissalSchema(Schema):
    related_pupil_id = fields.Int()
    dismissed_at = UtcDateTime()


class SearchQuerySchema(Schema):
    q = Text(required=True, validate=Length(1, 100),
             metadata={"description": "Words of the relative's name"})


class LinkCreateSchema(StrictSchema):
    related_pupil_id = Id(required=True, metadata={
        "description": "The relative: a pupil of any school of the trust"})
    relation = Text(required=True, validate=OneOf(list(families.RELATION_LABELS)),
                    metadata={"description": ", ".join(families.RELATION_LABELS)})


class LinkEndSchema(StrictSchema):
    ended_on = Date(load_default=None, metadata={"description": "Today when not sent"})
    reason = Text(load_default="", validate=Length(max=families.MAX_REASON))


@blp.route("", methods=["GET"])
@refusals(blp)
@allowed("casefile.read")
@blp.response(200, FamilyLinkSchema(many=True))
def list_family(school_id: int, pupil_id: int):
    """The pupil's family links, current first, ended ones with the day they ended
    (the DSL team and the trust lead; audited)."""
    return families.family(context.db(), context.actor(), school_id, pupil_id)


@blp.route("", methods=["POST"])
@refusals(blp)
@allowed("casefile.write")
@blp.arguments(LinkCreateSchema)
@blp.response(201, FamilyLinkSchema)
def add_link(data, school_id: int, pupil_id: int):
    """Link the pupil to a relative at any school of the trust. A pair already linked, the
    pupil themself or a pupil outside the trust is refused naming ``related_pupil_id``."""
    s, a = context.db(), context.actor()
    link = families.add_link(s, a, school_id, pupil_id, data["related_pupil_id"],
                             data["relation"])
    return families.describe(s, a, get_pupil(s, a, school_id, pupil_id, "casefile.write"), link)


@blp.route("/<int:link_id>/end", methods=["POST"])
@refusals(blp)
@allowed("casefile.write")
@blp.arguments(LinkEndSchema)
@blp.response(200, FamilyLinkSchema)
def end_link(data, school_id: int, pupil_id: int, link_id: int):
    """End a link from ``ended_on`` (not in the future, not before it was recorded); it is
    kept as ended. Ending it again is refused."""
    s, a = context.db(), context.actor()
    link = families.end_link(s, a, school_id, pupil_id, link_id, data["ended_on"],
                             data["reason"])
    return families.describe(s, a, get_pupil(s, a, school_id, pupil_id, "casefile.write"), link)


@blp.route("/search", methods=["GET"])
@refusals(blp)
@allowed("casefile.write")
@blp.arguments(SearchQuerySchema, location="query")
@blp.response(200, FoundSchema(many=True))
def search_relatives(args, school_id: int, pupil_id: int):
    """Pupils on roll at any school of the trust whose names match ``q`` (accents, case,
    apostrophes and hyphens ignored): name, year group and school, to choose
    ``related_pupil_id`` from. Audited."""
    return families.find_relatives(context.db(), context.actor(), school_id, pupil_id,
                                   args["q"])


@blp.route("/suggestions", methods=["GET"])
@refusals(blp)
@allowed("casefile.write")
@blp.response(200, SuggestionSchema(many=True))
def suggestions(school_id: int, pupil_id: int):
    """Pupils of the trust sharing the pupil's address (case, spaces and punctuation
    ignored), not linked and not dismissed: to confirm with a POST to the family, or
    dismiss."""
    return families.suggestions(context.db(), context.actor(), school_id, pupil_id)


@blp.route("/suggestions/<int:related_pupil_id>/dismiss", methods=["POST"])
@refusals(blp)
@allowed("casefile.write")
@blp.response(200, DismissalSchema)
def dismiss(school_id: int, pupil_id: int, related_pupil_id: int):
    """Say a suggested pupil is not family: the pair is not suggested again, on either
    pupil's page (dismissing twice answers the first dismissal). Audited."""
    row = families.dismiss_suggestion(context.db(), context.actor(), school_id, pupil_id,
                                      related_pupil_id)
    return {"related_pupil_id": related_pupil_id, "dismissed_at": row.dismissed_at}
