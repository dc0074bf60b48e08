"""Marshmallow schemas of the transition API."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.date_limits import Date

from plugins.transition.models import STATUSES


class TransferEventSchema(Schema):
    kind = fields.Str()
    at = fields.DateTime()
    user_name = fields.Str(metadata={"description": "who acted"})
    acting_school_id = fields.Int(allow_none=True)
    reason = fields.Str()


class TransferSchema(Schema):
    id = fields.Int()
    school_id = fields.Int(metadata={"description": "the sending school"})
    pupil_name = fields.Str()
    destination_urn = fields.Str()
    destination_school_id = fields.Int(allow_none=True)
    destination_name = fields.Str()
    leaving_date = Date()
    due_date = Date(allow_none=True)
    due_rule = fields.Str(metadata={"description": "in_year, new_term (school days), "
                                                   "in_year_days, new_term_days (calendar "
                                                   "days) or no_calendar"})
    status = fields.Str(validate=validate.OneOf(STATUSES))
    route = fields.Str(allow_none=True, metadata={"description": "trust or bundle"})
    first_sent_at = fields.DateTime(allow_none=True)


class TransferDetailSchema(TransferSchema):
    side = fields.Str(metadata={"description": "sender or receiver: how the caller sees it"})
    events = fields.List(fields.Nested(TransferEventSchema))


class TransferListSchema(Schema):
    outgoing = fields.List(fields.Nested(TransferSchema))
    inbox = fields.List(fields.Nested(TransferSchema))


class StepSchema(Schema):
    key = fields.Str(load_default=None, validate=validate.Length(max=80),
                     metadata={"description": "idempotency key: a retry with the same key "
                                              "does nothing twice"})
