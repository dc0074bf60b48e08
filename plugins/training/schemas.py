"""Marshmallow schemas of the training API."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.date_limits import Date

from plugins.training.models import JOB_ROLES, SAFEGUARDING_ROLES


class PersonSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True, load_default=None)
    job_role = fields.Str(required=True, validate=validate.OneOf(list(JOB_ROLES)))
    safeguarding_role = fields.Str(load_default="",
                                   validate=validate.OneOf(list(SAFEGUARDING_ROLES)))
    recruits = fields.Bool(load_default=False)
    started_on = Date(allow_none=True, load_default=None)
    left_on = Date(allow_none=True, load_default=None)


class RecordInSchema(Schema):
    staff_id = fields.Int(required=True)
    course_id = fields.Int(required=True)
    completed_on = Date(required=True)
    provider = fields.Str(load_default="", validate=validate.Length(max=200))
    notes = fields.Str(load_default="")


class RecordSchema(RecordInSchema):
    id = fields.Int(dump_only=True)
    source = fields.Str(dump_only=True)


class CellSchema(Schema):
    course = fields.Str(metadata={"description": "course code"})
    status = fields.Str(metadata={"description": "compliant, due, expired or missing"})
    completed_on = Date(allow_none=True)
    due_on = Date(allow_none=True, metadata={"description": "last valid day"})


class PersonRowSchema(Schema):
    staff_id = fields.Int()
    name = fields.Str()
    compliant = fields.Bool()
    courses = fields.List(fields.Nested(CellSchema))


class ComplianceSchema(Schema):
    school_id = fields.Int()
    on = Date()
    compliance_pct = fields.Float(allow_none=True)
    dsl_in_date = fields.Bool()
    people = fields.List(fields.Nested(PersonRowSchema))
