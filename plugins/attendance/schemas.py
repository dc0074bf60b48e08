"""Marshmallow schemas of the attendance API."""
from marshmallow import Schema, fields

from core.date_limits import Date


class RangeQuery(Schema):
    start = Date(metadata={"description": "first day (default 1 September)"})
    end = Date(metadata={"description": "last day (default today)"})


class BatchSchema(Schema):
    id = fields.Int()
    source = fields.Str()
    filename = fields.Str()
    status = fields.Str(metadata={"description": "queued, running, done or failed"})
    rows_read = fields.Int()
    marks_imported = fields.Int()
    error_count = fields.Int()
    errors = fields.List(fields.Dict(), metadata={"description": "{line, field, problem}"})
    first_date = Date(allow_none=True)
    last_date = Date(allow_none=True)
    job_id = fields.Str(allow_none=True)
    job_state = fields.Str(allow_none=True, metadata={
        "description": "the import job: waiting for the queue, queued, running, retrying, "
                       "stuck, done or failed"})
    note = fields.Str(metadata={"description": "what the state means now, in a sentence "
                                               "(e.g. saved, and waiting for the job queue)"})


class MarkSchema(Schema):
    date = Date()
    session = fields.Str()
    code = fields.Str()


class CountsSchema(Schema):
    possible = fields.Int()
    present = fields.Int()
    aea = fields.Int(metadata={"description": "approved educational activity"})
    authorised = fields.Int()
    unauthorised = fields.Int()
    late_before = fields.Int()
    late_after = fields.Int()
    not_possible = fields.Int()
    attendance_pct = fields.Float(allow_none=True)
    absence_pct = fields.Float(allow_none=True)
    authorised_pct = fields.Float(allow_none=True)
    unauthorised_pct = fields.Float(allow_none=True)
    persistent_absence = fields.Bool()
    severe_absence = fields.Bool()


class PupilAttendanceSchema(Schema):
    pupil_id = fields.Int()
    start = Date()
    end = Date()
    measures = fields.Nested(CountsSchema)
    marks = fields.List(fields.Nested(MarkSchema))


class SummarySchema(CountsSchema):
    start = Date()
    end = Date()
    pupils = fields.Int()
    persistent_absence_pupils = fields.Int()
    pa_pct = fields.Float(allow_none=True)
    severe_absence_pupils = fields.Int()
    sa_pct = fields.Float(allow_none=True)
    open_signals = fields.Int()
