"""Marshmallow schemas of the JSON API: what each endpoint accepts and answers.

Input schemas are strict (unknown fields are refused, integers must be integers) and every
string is checked to be storable text, so hostile input gets a 422 naming the field rather
than a database error. The rules of the domain (UPN check letters, what an entry needs) stay
in the core services; the schemas only make sure those services get the right types.
"""
from __future__ import annotations

import base64
import datetime as dt
import binascii

from marshmallow import RAISE, Schema, ValidationError, fields, validates_schema
from marshmallow.validate import Length, OneOf, Range

from core.calendar import LONDON
from core.date_limits import AwareDateTime, Date
from core.concern_search import MAX_PER_PAGE, MAX_QUERY, PER_PAGE, STATUSES
from core.models.concerns import ENTRY_KINDS, RISK_LEVELS
from core.models.pupils import FLAGS
from core.pupils import MAX_SEARCH

MAX_ID = 2**31 - 1
LONG_TEXT = 20_000  # a concern written at length is a few thousand characters


class Text(fields.String):
    """A string the database can store: no NUL characters, no lone surrogates."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("must not contain NUL characters")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("is not valid Unicode text") from None
        return text


class Base64(Text):
    """File content sent inside JSON, base64-encoded."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("is not valid base64") from None


class UtcDateTime(fields.DateTime):
    """Answers give every moment in UTC, whichever way it was sent."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


def Id(**kwargs) -> fields.Integer:  # noqa: N802 - reads as a field type
    """A record id: a positive whole number the database can hold."""
    return fields.Integer(strict=True, validate=Range(1, MAX_ID), **kwargs)


def QueryId(**kwargs) -> fields.Integer:  # noqa: N802
    """An id in a query string (always text, so not strict)."""
    return fields.Integer(validate=Range(1, MAX_ID), **kwargs)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


# --- schools and categories ----------------------------------------------------------------

class SchoolSchema(Schema):
    id = fields.Int()
    urn = fields.Str(metadata={"description": "DfE 6-digit unique reference number"})
    name = fields.Str()
    phase = fields.Str()
    trust_id = fields.Int()


class CategorySchema(Schema):
    id = fields.Int()
    code = fields.Str()
    label = fields.Str()


# --- pupils ---------------------------------------------------------------------------------

class PupilSchema(Schema):
    id = fields.Int()
    upn = fields.Str(allow_none=True, metadata={"description": "Unique pupil number"})
    first_name = fields.Str()
    last_name = fields.Str()
    preferred_name = fields.Str(allow_none=True)
    display_name = fields.Str()
    date_of_birth = Date()
    gender = fields.Str()
    year_group = fields.Int(metadata={"description": "-1 nursery, 0 reception, 1 to 14"})
    on_roll_from = Date()
    on_roll_to = Date(allow_none=True)


class PupilQuerySchema(StrictSchema):
    q = Text(load_default="", validate=Length(max=MAX_SEARCH),
             metadata={"description": "Words of the name, or a UPN"})
    include_left = fields.Bool(load_default=False)
    page = fields.Int(load_default=1, validate=Range(1, 1000))
    per_page = fields.Int(load_default=20, validate=Range(1, 100))


class PupilPageSchema(Schema):
    items = fields.List(fields.Nested(PupilSchema))
    page = fields.Int()
    per_page = fields.Int()
    has_more = fields.Bool()


class PupilCreateSchema(StrictSchema):
    upn = Text(allow_none=True, validate=Length(max=13),
               metadata={"description": "13 characters, with a valid check letter"})
    first_name = Text(required=True, validate=Length(1, 100))
    last_name = Text(required=True, validate=Length(1, 100))
    preferred_name = Text(allow_none=True, validate=Length(max=100))
    date_of_birth = Date(required=True)
    gender = Text(load_default="U", validate=OneOf(["F", "M", "X", "U"]))
    year_group = fields.Int(strict=True, required=True, validate=Range(-1, 14))
    on_roll_from = Date(required=True)
    address = Text(allow_none=True, validate=Length(max=300))


class PupilUpdateSchema(StrictSchema):
    """Only the details sent are changed; each change is kept in the pupil's history."""
    first_name = Text(validate=Length(1, 100))
    last_name = Text(validate=Length(1, 100))
    preferred_name = Text(allow_none=True, validate=Length(max=100))
    date_of_birth = Date()
    gender = Text(validate=OneOf(["F", "M", "X", "U"]))
    year_group = fields.Int(strict=True, validate=Range(-1, 14))
    upn = Text(allow_none=True, validate=Length(max=13),
               metadata={"description": "13 characters, with a valid check letter"})
    address = Text(allow_none=True, validate=Length(max=300))


class PupilChangeSchema(Schema):
    id = fields.Int()
    field = fields.Str()
    old_value = fields.Str(allow_none=True)
    new_value = fields.Str(allow_none=True)
    changed_by_id = fields.Int(allow_none=True)
    changed_by_name = fields.Str()
    changed_at = UtcDateTime()


class LeaveSchema(StrictSchema):
    date = Date(required=True, metadata={
        "description": "The last day on roll: not before the pupil joined, at most 13 weeks "
                       "ahead"})
    reason = Text(required=True, validate=Length(1, 200))
    destination_urn = Text(allow_none=True, metadata={
        "description": "The destination school's 6-digit URN (not this school's own)"})
    destination_unknown = fields.Bool(load_default=False, metadata={
        "description": "True when the school does not know where the pupil has gone "
                       "(children missing education)"})

    @validates_schema(skip_on_field_errors=False)
    def _one_destination(self, data, **kwargs):
        urn, unknown = data.get("destination_urn"), data.get("destination_unknown")
        if urn and unknown:
            raise ValidationError("give destination_urn or destination_unknown=true, not both",
                                  "destination_urn")
        if not urn and not unknown:
            raise ValidationError("give the destination school's 6-digit URN, or "
                                  "destination_unknown=true", "destination_urn")


class PupilLeftSchema(PupilSchema):
    leaving_reason = fields.Str(allow_none=True)
    destination_urn = fields.Str(allow_none=True)
    destination_unknown = fields.Function(lambda p: p.on_roll_to is not None
                                          and not p.destination_urn)


class FlagSchema(Schema):
    id = fields.Int()
    flag = fields.Str()
    label = fields.Function(lambda f: FLAGS.get(f.flag, f.flag))
    start_date = Date()
    end_date = Date(allow_none=True)
    note = fields.Str()


class FlagCreateSchema(StrictSchema):
    flag = Text(required=True, validate=OneOf(list(FLAGS)))
    start_date = Date(required=True)
    note = Text(load_default="", validate=Length(max=300))


class FlagEndSchema(StrictSchema):
    end_date = Date(required=True)


# --- concerns -------------------------------------------------------------------------------

class AttachmentUploadSchema(StrictSchema):
    filename = Text(required=True, validate=Length(1, 255))
    content_type = Text(required=True, validate=Length(1, 120),
                        metadata={"description": "e.g. application/pdf, image/jpeg"})
    data = Base64(required=True, metadata={"description": "the file, base64-encoded"})


class ConcernCreateSchema(StrictSchema):
    pupil_ids = fields.List(Id(), required=True, validate=Length(1, 50))
    occurred_at = AwareDateTime(required=True, default_timezone=LONDON, metadata={
        "description": "ISO 8601; without an offset it is read as UK time"})
    location = Text(load_default="", validate=Length(max=200))
    category_ids = fields.List(Id(), load_default=list, validate=Length(max=30))
    fact = Text(required=True, validate=Length(1, LONG_TEXT),
                metadata={"description": "What was seen or heard: facts only"})
    child_words = Text(load_default="", validate=Length(max=LONG_TEXT))
    opinion = Text(load_default="", validate=Length(max=LONG_TEXT))
    attachments = fields.List(fields.Nested(AttachmentUploadSchema), load_default=list,
                              validate=Length(max=10))


class ConcernQuerySchema(StrictSchema):
    q = Text(load_default="", validate=Length(max=MAX_QUERY), metadata={
        "description": "Words (or \"quoted phrases\"), each found somewhere in the concern: "
                       "its fact, the child's words, the opinion, the location or any DSL "
                       "entry's body; \"bruised\" finds \"bruise\". In your own list "
                       "(mine=true), only in what you recorded. A search is audited"})
    status = fields.List(Text(validate=OneOf(STATUSES)), load_default=list, metadata={
        "description": "repeat for several (DSL team only)"})
    category_id = QueryId(metadata={"description": "recorded in it, or put in it by a DSL "
                                                   "entry since (ids from /categories)"})
    occurred_from = Date(metadata={"description": "happened on or after (UK date)"})
    occurred_to = Date(metadata={"description": "happened on or before (UK date)"})
    risk = Text(validate=OneOf(RISK_LEVELS),
                metadata={"description": "the latest triage's risk (DSL team only)"})
    recorded_by = QueryId(metadata={"description": "the user id of who recorded it"})
    pupil_id = QueryId()
    year_group = fields.Int(validate=Range(-1, 14),
                            metadata={"description": "a pupil of the concern is in it now"})
    flag = Text(validate=OneOf(list(FLAGS)), metadata={
        "description": "a pupil of the concern has this flag now (DSL team only)"})
    mine = fields.Bool(load_default=False,
                       metadata={"description": "only the concerns the caller recorded"})
    per_page = fields.Int(load_default=PER_PAGE, validate=Range(1, MAX_PER_PAGE))
    after = Text(validate=Length(max=200), metadata={
        "description": "the page after this position (from a previous answer's next link)"})
    before = Text(validate=Length(max=200), metadata={
        "description": "the page before this position (from an answer's previous link)"})

    @validates_schema(skip_on_field_errors=True)
    def _dates_in_order(self, data, **kwargs):
        start, end = data.get("occurred_from"), data.get("occurred_to")
        if start and end and start > end:
            raise ValidationError("must not be before occurred_from", "occurred_to")


class ConcernExportQuerySchema(ConcernQuerySchema):
    class Meta:
        exclude = ("per_page", "after", "before")


class ConcernRowSchema(Schema):
    id = fields.Int()
    recorded_at = UtcDateTime()
    occurred_at = UtcDateTime()
    pupils = fields.List(fields.Str())
    categories = fields.List(fields.Str(), metadata={"description": "as recorded"})
    status = fields.Str(allow_none=True, metadata={"description": "null in your own list"})
    risk = fields.Str(allow_none=True, metadata={
        "description": "the latest triage's; null before triage and in your own list"})
    recorded_by_id = fields.Int(allow_none=True)
    source = fields.Str()


class ConcernPageSchema(Schema):
    items = fields.List(fields.Nested(ConcernRowSchema))
    total = fields.Int(metadata={"description": "how many concerns match, on every page"})
    per_page = fields.Int()
    next = fields.Str(allow_none=True, metadata={
        "description": "the URL of the next (older) page, null on the last"})
    previous = fields.Str(allow_none=True, metadata={
        "description": "the URL of the previous (newer) page, null on the first"})


class PupilRefSchema(Schema):
    id = fields.Int()
    display_name = fields.Str()


class AttachmentInfoSchema(Schema):
    id = fields.Int()
    filename = fields.Str()
    content_type = fields.Str()
    size = fields.Int()
    sha256 = fields.Str()
    uploaded_at = UtcDateTime()


class EntrySchema(Schema):
    id = fields.Int()
    concern_id = fields.Int()
    kind = fields.Str()
    author_id = fields.Int(allow_none=True)
    created_at = UtcDateTime()
    body = fields.Str()
    risk_level = fields.Str(allow_none=True)
    category_id = fields.Int(allow_none=True)
    due_date = Date(allow_none=True)
    referral_to = fields.Str(allow_none=True)
    refers_to_id = fields.Int(allow_none=True)
    owner_id = fields.Int(allow_none=True)
    body_map = fields.List(fields.Dict(), allow_none=True)


class ConcernSchema(Schema):
    id = fields.Int()
    school_id = fields.Int()
    recorded_by_id = fields.Int(allow_none=True)
    recorded_at = UtcDateTime()
    occurred_at = UtcDateTime()
    location = fields.Str()
    fact = fields.Str()
    child_words = fields.Str()
    opinion = fields.Str()
    source = fields.Str()
    pupils = fields.List(fields.Nested(PupilRefSchema))
    categories = fields.List(fields.Nested(CategorySchema))
    attachments = fields.List(fields.Nested(AttachmentInfoSchema))
    view = fields.Str(metadata={"description": "full (DSL team) or own (the recorder)"})
    status = fields.Str(allow_none=True, metadata={"description": "null in the recorder's view"})
    entries = fields.List(fields.Nested(EntrySchema),
                          metadata={"description": "empty in the recorder's view"})
    can_write = fields.Bool()


class EntryCreateSchema(StrictSchema):
    kind = Text(required=True, validate=OneOf(ENTRY_KINDS))
    body = Text(load_default="", validate=Length(max=LONG_TEXT))
    risk_level = Text(allow_none=True, validate=Length(max=20))
    category_id = Id(allow_none=True)
    due_date = Date(allow_none=True)
    referral_to = Text(allow_none=True, validate=Length(max=40))
    refers_to_id = Id(allow_none=True)
    owner_id = Id(allow_none=True, metadata={
        "description": "an action's owner (a member of the school's staff); the caller if none"})
    body_map = fields.List(fields.Nested(lambda: BodyMarkSchema()), allow_none=True,
                           validate=Length(max=30), metadata={
                               "description": "marks on a body outline (triage, note, amendment)"})
    attachments = fields.List(fields.Nested(AttachmentUploadSchema), load_default=list,
                              validate=Length(max=10))


class BodyMarkSchema(StrictSchema):
    view = Text(required=True, validate=OneOf(["front", "back"]))
    region = Text(required=True, validate=Length(1, 40), metadata={
        "description": "a part of the body: head, face, neck, chest, left_forearm... "
                       "(core.bodymap.REGIONS)"})
    note = Text(load_default="", validate=Length(max=500))
    x = fields.Float(allow_none=True, validate=Range(0, 100))
    y = fields.Float(allow_none=True, validate=Range(0, 100))


class ActionSchema(Schema):
    school_id = fields.Int()
    school_name = fields.Str()
    concern_id = fields.Int()
    entry_id = fields.Int()
    body = fields.Str()
    due_date = Date()
    pupils = fields.List(fields.Str())
    owner_id = fields.Int(allow_none=True)
    owner_name = fields.Str()
    overdue = fields.Bool()
    done = fields.Bool()


class ActionQuerySchema(StrictSchema):
    include_done = fields.Bool(load_default=False)


class ActionDoneSchema(StrictSchema):
    body = Text(load_default="", validate=Length(max=5000),
                metadata={"description": "what was done"})


# --- chronology, alerts ---------------------------------------------------------------------

class ChronologyQuerySchema(StrictSchema):
    kind = fields.List(Text(validate=Length(max=60)), load_default=list, metadata={
        "description": "repeat to filter by several: concern, entry, flag, roll, a plugin..."})
    start = Date()
    end = Date()

    @validates_schema
    def _period(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError("must not be before start", "end")


class ChronologyItemSchema(Schema):
    plugin = fields.Str()
    kind = fields.Str()
    at = UtcDateTime()
    title = fields.Str()
    detail = fields.Str()
    link = fields.Str(allow_none=True)


class AlertQuerySchema(StrictSchema):
    unread = fields.Bool(load_default=False)
    plugin = Text(validate=Length(max=40))


class AlertSchema(Schema):
    id = fields.Int()
    plugin = fields.Str()
    kind = fields.Str()
    pupil_id = fields.Int(allow_none=True)
    concern_id = fields.Int(allow_none=True)
    message = fields.Str()
    link = fields.Str(allow_none=True)
    created_at = UtcDateTime()
    count = fields.Int(metadata={"description": "times a standing alert has fired while open"})
    last_raised_at = UtcDateTime(allow_none=True)
    read_at = UtcDateTime(allow_none=True)
    resolved_at = UtcDateTime(allow_none=True)


# --- plugins and the trust overview ---------------------------------------------------------

class PluginStateSchema(Schema):
    name = fields.Str()
    label = fields.Str()
    description = fields.Str()
    enabled = fields.Bool()


class PluginSwitchSchema(StrictSchema):
    enabled = fields.Bool(required=True)


class OverviewQuerySchema(StrictSchema):
    trust_id = QueryId(metadata={"description": "needed only by a lead of several trusts"})
    start = Date(metadata={"description": "default: 1 September of this school year"})
    end = Date(metadata={"description": "default: today"})

    @validates_schema
    def _period(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError("must not be before start", "end")


class MetricColumnSchema(Schema):
    key = fields.Str(metadata={"description": "plugin.key, the key of each school's values"})
    plugin = fields.Str()
    label = fields.Str()
    unit = fields.Str()
    national = fields.Float(allow_none=True)
    higher_is_better = fields.Bool(allow_none=True)


class OverviewSchoolSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    urn = fields.Str()
    values = fields.Dict(keys=fields.Str(), values=fields.Float(allow_none=True))


class OverviewSchema(Schema):
    trust_id = fields.Int()
    start = Date()
    end = Date()
    columns = fields.List(fields.Nested(MetricColumnSchema))
    schools = fields.List(fields.Nested(OverviewSchoolSchema))
