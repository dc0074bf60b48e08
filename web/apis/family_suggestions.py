"""Suggested family links (``core.family_suggestions``): a school's DSL team lists its open
suggestions (a child at another school only as that school's name and DSLs) and confirms or
dismisses each for its school; the trust safeguarding lead lists the trust's (both children
named) and decides alone. Every read and decision is audited; decisions are never changed."""
from __future__ import annotations

from functools import wraps

from flask_smorest import Blueprint
from marshmallow import Schema, fields
from marshmallow.validate import Length, OneOf

from core import family_suggestions as fs
from core.errors import NotFound
from core.families import RELATION_LABELS
from core.policy import can
from web import context
from web.apis import allowed, refusals
from web.apis.schemas import StrictSchema, Text, UtcDateTime

blp = Blueprint("api_family_suggestions", __name__, url_prefix="/api/v1",
                description="Suggested family links for the DSLs and the trust lead to decide")


class SuggestedPupilSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    year = fields.Str(metadata={"description": "The year group in words"})


class DslSchema(Schema):
    name = fields.Str()
    email = fields.Str()
    role = fields.Str()


class OtherSchoolSchema(Schema):
    name = fields.Str()
    dsls = fields.List(fields.Nested(DslSchema))


class SchoolSuggestionSchema(Schema):
    id = fields.Int()
    pupils = fields.List(fields.Nested(SuggestedPupilSchema), metadata={
        "description": "This school's pupils in the suggestion (one or both)"})
    cross_school = fields.Bool()
    other_school = fields.Nested(OtherSchoolSchema, allow_none=True, metadata={
        "description": "For a child at another school: only that school and its DSLs"})
    evidence = fields.List(fields.Str(), metadata={"description": "This school's side, in words"})
    suggested_at = UtcDateTime()
    confirmed_here = fields.Bool()
    waiting_for = fields.Str()


class TrustPupilSchema(SuggestedPupilSchema):
    school_id = fields.Int()
    school_name = fields.Str()


class TrustSuggestionSchema(Schema):
    id = fields.Int()
    pupils = fields.List(fields.Nested(TrustPupilSchema))
    cross_school = fields.Bool()
    evidence = fields.List(fields.Str())
    suggested_at = UtcDateTime()
    confirmed_by = fields.List(fields.Str(), metadata={"description": "Schools that confirmed"})


class ConfirmSchema(StrictSchema):
    relation = Text(required=True, validate=OneOf(list(RELATION_LABELS)),
                    metadata={"description": ", ".join(RELATION_LABELS)})
    reason = Text(load_default="", validate=Length(max=fs.MAX_REASON))


class DismissSchema(StrictSchema):
    reason = Text(required=True, validate=Length(1, fs.MAX_REASON),
                  metadata={"description": "Why they are not family"})


class DecisionSchema(Schema):
    id = fields.Int()
    status = fields.Str(metadata={"description": "open (waiting for the other school), "
                                                 "linked or dismissed"})
    link_id = fields.Int(allow_none=True)


def lead_only(func):
    """The trust safeguarding lead of the URL's trust, with a second factor, checked before
    the body is read (anyone else hears 404 whatever they send)."""
    @wraps(func)
    def view(*args, **kwargs):
        a = context.actor()
        if not (a.mfa and can(a, "family.link", trust_id=kwargs["trust_id"])):
            raise NotFound("trust")
        return func(*args, **kwargs)
    return view


@blp.route("/schools/<int:school_id>/family-suggestions", methods=["GET"])
@refusals(blp)
@allowed("casefile.write")
@blp.response(200, SchoolSuggestionSchema(many=True))
def school_list(school_id: int):
    """The open suggestions with a pupil of this school (its DSL team). Audited."""
    return fs.for_school(context.db(), context.actor(), school_id)


@blp.route("/schools/<int:school_id>/family-suggestions/<int:suggestion_id>/confirm",
           methods=["POST"])
@refusals(blp)
@allowed("casefile.write")
@blp.arguments(ConfirmSchema)
@blp.response(200, DecisionSchema)
def school_confirm(data, school_id: int, suggestion_id: int):
    """Confirm for this school. Two children here: linked at once. Across schools: linked
    when the other school's DSL (or the trust lead) has confirmed too; until then
    ``status`` stays open. Confirming twice for one school is a 422."""
    return fs.confirm(context.db(), context.actor(), suggestion_id, data["relation"],
                      data["reason"], school_id=school_id)


@blp.route("/schools/<int:school_id>/family-suggestions/<int:suggestion_id>/dismiss",
           methods=["POST"])
@refusals(blp)
@allowed("casefile.write")
@blp.arguments(DismissSchema)
@blp.response(200, DecisionSchema)
def school_dismiss(data, school_id: int, suggestion_id: int):
    """Not family, with a reason: closed for both schools until the evidence changes."""
    return fs.dismiss(context.db(), context.actor(), suggestion_id, data["reason"],
                      school_id=school_id)


@blp.route("/trusts/<int:trust_id>/family-suggestions", methods=["GET"])
@refusals(blp)
@lead_only
@blp.response(200, TrustSuggestionSchema(many=True))
def trust_list(trust_id: int):
    """Every open suggestion of the trust, both children named (the trust safeguarding
    lead, with a second factor). Audited."""
    return fs.for_trust(context.db(), context.actor(), trust_id)


@blp.route("/trusts/<int:trust_id>/family-suggestions/<int:suggestion_id>/confirm",
           methods=["POST"])
@refusals(blp)
@lead_only
@blp.arguments(ConfirmSchema)
@blp.response(200, DecisionSchema)
def trust_confirm(data, trust_id: int, suggestion_id: int):
    """The trust lead confirms: the children are linked at once, across schools too."""
    return fs.confirm(context.db(), context.actor(), suggestion_id, data["relation"],
                      data["reason"], trust_id=trust_id)


@blp.route("/trusts/<int:trust_id>/family-suggestions/<int:suggestion_id>/dismiss",
           methods=["POST"])
@refusals(blp)
@lead_only
@blp.arguments(DismissSchema)
@blp.response(200, DecisionSchema)
def trust_dismiss(data, trust_id: int, suggestion_id: int):
    """The trust lead says the pair is not family, with a reason."""
    return fs.dismiss(context.db(), context.actor(), suggestion_id, data["reason"],
                      trust_id=trust_id)
