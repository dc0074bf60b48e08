"""Converging signals: ``/api/v1/schools/{school_id}/signals`` (the alerts awaiting a
decision), one firing with every indicator behind it, and the DSL team's decision. Reading is
for case-file readers (audited for one firing); deciding for the DSL team. A linked child at
another school appears as name, school and that school's DSL team only."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields
from marshmallow.validate import Length, OneOf

from core.date_limits import Date
from core.signals import service
from core.signals.models import OUTCOMES
from web import context
from web.apis import allowed, refusals
from web.apis.schemas import StrictSchema, Text, UtcDateTime

blp = Blueprint("api_signals", __name__, url_prefix="/api/v1/schools/<int:school_id>/signals",
                description="Converging signals: indicators from several sources about one child")


class SignalIndicatorSchema(Schema):
    kind = fields.Str(metadata={"description": "namespaced by its source, e.g. "
                                               "attendance.falling, encompass.notification"})
    date = fields.Str(allow_none=True, metadata={"description": "ISO date (none for a linked "
                                                                "child's indicator)"})
    source = fields.Str()
    label = fields.Str()
    link = fields.Str(allow_none=True)
    key = fields.Str()


class SignalContactSchema(Schema):
    name = fields.Str()
    email = fields.Str()
    role = fields.Str()


class SignalRelativeSchema(Schema):
    pupil_id = fields.Int()
    name = fields.Str()
    school_id = fields.Int()
    school_name = fields.Str()
    dsl_team = fields.List(fields.Nested(SignalContactSchema))


class SignalDecisionSchema(Schema):
    id = fields.Int()
    firing_id = fields.Int()
    outcome = fields.Str()
    reason = fields.Str()
    review_on = Date(allow_none=True)
    decided_by_id = fields.Int(allow_none=True)
    decided_by_name = fields.Str()
    decided_at = UtcDateTime()


class SignalFiringSchema(Schema):
    id = fields.Function(lambda v: v.firing.id)
    pupil_id = fields.Function(lambda v: v.firing.pupil_id)
    pupil_name = fields.Function(lambda v: v.pupil.display_name)
    rule = fields.Function(lambda v: v.firing.rule)
    label = fields.Str()
    as_of = fields.Function(lambda v: v.firing.as_of.isoformat())
    created_at = fields.Function(lambda v: v.firing.created_at.isoformat())
    indicators = fields.Function(lambda v: SignalIndicatorSchema(many=True).dump(_shown(v)),
                                 metadata={"description": "a linked child's carry no date: "
                                                          "that is their school's to tell"})
    relatives = fields.List(fields.Nested(SignalRelativeSchema))
    decisions = fields.List(fields.Nested(SignalDecisionSchema))


def _shown(view) -> list[dict]:
    return [{**i, "date": None} if i["kind"] in service.RELATIVE_KINDS else i
            for i in view.shown]


class SignalDecideSchema(StrictSchema):
    outcome = Text(required=True, validate=OneOf(list(OUTCOMES)))
    reason = Text(required=True, validate=Length(1, service.MAX_REASON))
    review_on = Date(load_default=None, allow_none=True)


@blp.route("", methods=["GET"])
@refusals(blp)
@allowed("casefile.read")
@blp.response(200, SignalFiringSchema(many=True))
def list_firings(school_id: int):
    """The latest firing of each pattern still awaiting a decision, newest first."""
    return service.open_firings(context.db(), context.actor(), school_id)


@blp.route("/<int:firing_id>", methods=["GET"])
@refusals(blp)
@allowed("casefile.read")
@blp.response(200, SignalFiringSchema)
def get_firing(school_id: int, firing_id: int):
    """One firing: every indicator behind it (dates, links), linked children at other schools
    (name, school, their DSL team) and the pattern's decisions. Audited."""
    return service.firing(context.db(), context.actor(), school_id, firing_id)


@blp.route("/<int:firing_id>/decisions", methods=["POST"])
@refusals(blp)
@allowed("casefile.write")
@blp.arguments(SignalDecideSchema)
@blp.response(201, SignalDecisionSchema)
def decide(data, school_id: int, firing_id: int):
    """Record the DSL team's decision and why (append-only, audited). A firing that newer
    indicators replaced, or a review date not after today: 422 naming the field."""
    return service.decide(context.db(), context.actor(), school_id, firing_id, **data)
