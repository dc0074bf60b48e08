"""Retention and subject access: ``/api/v1/schools/{school_id}/retention/due`` (pupils whose
records have passed their retention date, and those kept by a legal hold), a pupil's retention
and legal holds, the trust's retention years, and the subject access export with third
parties withheld. The DSL team and the trust lead read (audited); the DSL team sets and lifts
holds; the trust safeguarding lead sets the years."""
from __future__ import annotations

from types import SimpleNamespace

from flask_smorest import Blueprint
from marshmallow import INCLUDE, Schema, fields
from marshmallow.validate import Length, OneOf

from core import plugin_records, retention, sar
from core.date_limits import Date
from core.models import School
from core.pupils import get_pupil
from web import context
from web.apis import allowed, refusals
from web.apis.schemas import StrictSchema, Text, UtcDateTime
from web.pages import download

blp = Blueprint("api_retention", __name__, url_prefix="/api/v1",
                description="Retention of records, legal holds and subject access")
PUPIL = "/schools/<int:school_id>/pupils/<int:pupil_id>"


class HoldSchema(Schema):
    id = fields.Int()
    pupil_id = fields.Int()
    reason = fields.Str()
    set_by_id = fields.Int(allow_none=True)
    set_at = UtcDateTime()
    lifted_at = UtcDateTime(allow_none=True)
    lifted_by_id = fields.Int(allow_none=True)
    lift_reason = fields.Str()


class PupilRetentionSchema(Schema):
    pupil_id = fields.Function(lambda r: r.pupil.id)
    name = fields.Function(lambda r: r.pupil.display_name)
    date_of_birth = fields.Function(lambda r: r.pupil.date_of_birth.isoformat())
    review_dates = fields.Dict(keys=fields.Str(), values=Date(), metadata={
        "description": "Record type -> the day its retention ends"})
    due = fields.List(fields.Str(), metadata={"description": "Record types due for review"})
    hold = fields.Nested(HoldSchema, allow_none=True)


class RuleSchema(Schema):
    key = fields.Str()
    label = fields.Str()
    covers = fields.Str()
    years = fields.Int(metadata={"description": "The trust's years, counted from "
                                                "``counted_from``"})
    default_years = fields.Int()
    floor = fields.Int(metadata={"description": "The fewest years a trust may set"})
    source = fields.Str(metadata={"description": "Where the default comes from"})
    counted_from = fields.Str(metadata={"description": "What the years run from, in words"})
    plugin = fields.Str(metadata={"description": "core, or the plugin keeping the records"})
    about = fields.Str(metadata={"description": "pupil or staff"})


class HeldRecordsSchema(Schema):
    record_type = fields.Str()
    subject = fields.Str(metadata={"description": "staff:<id> (or pupil:<id>)"})
    name = fields.Str()
    review_date = Date(metadata={"description": "The earliest review date of these records"})
    due = fields.Int(metadata={"description": "How many have reached it"})
    held = fields.Int()


class DueSchema(Schema):
    due = fields.List(fields.Nested(PupilRetentionSchema))
    held = fields.List(fields.Nested(PupilRetentionSchema))
    rules = fields.List(fields.Nested(RuleSchema))
    staff = fields.List(fields.Nested(HeldRecordsSchema), metadata={
        "description": "Plugins' records about people other than pupils past retention"})


class DestructionSchema(Schema):
    id = fields.Int()
    pupil_id = fields.Int(allow_none=True, metadata={
        "description": "Empty for records about staff (the summary names them)"})
    rule = fields.Str()
    rule_years = fields.Int()
    review_date = Date()
    reason = fields.Str()
    destroyed_by_id = fields.Int(allow_none=True)
    destroyed_at = UtcDateTime()
    summary = fields.Dict(metadata={"description": "concerns (ids), entries, attachments, "
                                                   "flag_notes, agency_contacts, kept_shared"})


class PupilStatusSchema(PupilRetentionSchema):
    holds = fields.List(fields.Nested(HoldSchema), metadata={"description": "Newest first"})
    destructions = fields.List(fields.Nested(DestructionSchema))


class ReasonSchema(StrictSchema):
    reason = Text(required=True, validate=Length(1, retention.REASON_LIMIT))


class YearsSchema(StrictSchema):
    """Years per record type: the core's two below, and any plugin's (``attendance.registers``
    ...), each checked by name against the rules (422 naming an unknown one)."""

    class Meta:
        unknown = INCLUDE

    child_protection = fields.Int(strict=True)
    pupil_record = fields.Int(strict=True)


class RecordsDestroySchema(StrictSchema):
    record_type = Text(required=True, validate=Length(1, 60), metadata={
        "description": "A plugin's record type, e.g. attendance.registers"})
    subject = Text(required=True, validate=Length(1, 40), metadata={
        "description": "pupil:<id> or staff:<id>"})
    reason = Text(required=True, validate=Length(1, retention.REASON_LIMIT))


class SarQuerySchema(StrictSchema):
    format = Text(load_default="json", validate=OneOf(["json", "pdf"]))
    redact = fields.List(Text(), load_default=list, metadata={
        "description": "Keys from GET .../subject-access to withhold (concern:, entry:, "
                       "pupil:, staff:, contact:)"})


def _rules(trust_id: int) -> list[dict]:
    years = retention.years_for(context.db(), trust_id)
    return [{"key": r.key, "label": r.label, "covers": r.covers, "years": years[r.key],
             "default_years": r.years, "floor": r.floor, "source": r.source,
             "counted_from": r.counted_from, "plugin": r.plugin, "about": r.about}
            for r in retention.rules().values()]


@blp.route("/schools/<int:school_id>/retention/due", methods=["GET"])
@refusals(blp)
@allowed("retention.review")
@blp.response(200, DueSchema)
def due(school_id: int):
    """Pupils whose records have passed their retention date (``due``), oldest first, and
    those past it but kept by a legal hold (``held``), with the trust's rules (audited)."""
    due_rows, held = retention.due_for_review(context.db(), context.actor(), school_id)
    staff = retention.staff_records_due(context.db(), context.actor(), school_id)
    trust_id = context.db().get(School, school_id).trust_id
    return {"due": due_rows, "held": held, "rules": _rules(trust_id), "staff": staff}


@blp.route(PUPIL + "/retention", methods=["GET"])
@refusals(blp)
@allowed("retention.review")
@blp.response(200, PupilStatusSchema)
def pupil_retention(school_id: int, pupil_id: int):
    """One pupil's review dates, the hold in force and every hold ever set (audited)."""
    state, holds = retention.pupil_retention(context.db(), context.actor(), school_id, pupil_id)
    tombs = retention.destructions(context.db(), context.actor(), school_id, pupil_id)
    return SimpleNamespace(pupil=state.pupil, review_dates=state.review_dates,
                           due=list(state.due), hold=state.hold, holds=holds,
                           destructions=tombs)


@blp.route(PUPIL + "/destroy", methods=["POST"])
@refusals(blp)
@allowed("retention.destroy")
@blp.arguments(ReasonSchema)
@blp.response(201, DestructionSchema)
def destroy(data, school_id: int, pupil_id: int):
    """Destroy the content of the pupil's child-protection file (the DSL) once its retention
    has ended and no legal hold is in force; answers the tombstone. Before the end, under a
    hold, or with nothing left: 422 naming ``pupil`` or ``hold``. Audited."""
    return retention.destroy(context.db(), context.actor(), school_id, pupil_id,
                             data["reason"])


@blp.route("/schools/<int:school_id>/retention/records/destroy", methods=["POST"])
@refusals(blp)
@allowed("retention.destroy")
@blp.arguments(RecordsDestroySchema)
@blp.response(201, DestructionSchema)
def destroy_records(data, school_id: int):
    """Destroy the content of a plugin's records of ``record_type`` about ``subject`` that
    have reached the end of their retention (the DSL); answers the tombstone. Before the end
    or under a legal hold: 422 naming ``record_type`` or ``hold``; records the school does not
    hold: 404. Audited."""
    return plugin_records.destroy(context.db(), context.actor(), school_id,
                                  data["record_type"], data["subject"], data["reason"])


@blp.route(PUPIL + "/legal-hold", methods=["POST"])
@refusals(blp)
@allowed("retention.hold")
@blp.arguments(ReasonSchema)
@blp.response(201, HoldSchema)
def set_hold(data, school_id: int, pupil_id: int):
    """Place the pupil's records under a legal hold (the DSL team), with a reason; a second
    hold while one is in force is refused naming ``reason``. Audited."""
    return retention.set_hold(context.db(), context.actor(), school_id, pupil_id,
                              data["reason"])


@blp.route(PUPIL + "/legal-hold/lift", methods=["POST"])
@refusals(blp)
@allowed("retention.hold")
@blp.arguments(ReasonSchema)
@blp.response(200, HoldSchema)
def lift_hold(data, school_id: int, pupil_id: int):
    """Lift the hold in force, with a reason; the hold is kept as lifted. With none in force
    the answer is 422 naming ``hold``. Audited."""
    return retention.lift_hold(context.db(), context.actor(), school_id, pupil_id,
                               data["reason"])


@blp.route("/trusts/<int:trust_id>/retention-rules", methods=["PUT"])
@refusals(blp)
@blp.arguments(YearsSchema)
@blp.response(200, RuleSchema(many=True))
def set_rules(data, trust_id: int):
    """Set the trust's retention years per record type (the trust safeguarding lead). Years
    below a rule's floor (25 for a child-protection file) or above 120 are refused naming the
    type. Audited with the old and new years."""
    context.require("retention.rules", trust_id=trust_id)
    retention.set_years(context.db(), context.actor(), trust_id, data)
    return _rules(trust_id)


class SarItemsSchema(Schema):
    """What a subject access export would hold (each concern, entry and third party has the
    ``key`` to withhold it by)."""

    pupil = fields.Dict()
    flags = fields.List(fields.Dict())
    concerns = fields.List(fields.Dict())
    third_parties = fields.List(fields.Dict())
    plugins = fields.List(fields.Dict(), metadata={
        "description": "Each plugin's section: plugin, title, items (key, at, title, text)"})


@blp.route(PUPIL + "/subject-access", methods=["GET"])
@refusals(blp)
@allowed("sar.export")
@blp.response(200, SarItemsSchema)
def subject_access_items(school_id: int, pupil_id: int):
    """What an export would hold: the pupil, flags, every concern and entry and every third
    party named, each with the ``key`` to withhold it by (audited)."""
    return sar.items(context.db(), context.actor(), school_id, pupil_id)


@blp.route(PUPIL + "/subject-access/export", methods=["POST"])
@refusals(blp)
@allowed("sar.export")
@blp.arguments(SarQuerySchema)
@blp.response(200)
@blp.alt_response(200, success=True, content_type="application/pdf",
                  schema={"type": "string", "format": "binary"},
                  description="With format pdf: the same copy printed")
def subject_access_export(data, school_id: int, pupil_id: int):
    """The pupil's records with the chosen keys withheld, as JSON or PDF. A key not in this
    pupil's records is refused naming ``redact``. Audited with what was withheld."""
    s, a = context.db(), context.actor()
    out = sar.export(s, a, school_id, pupil_id, data["redact"], data["format"])
    if data["format"] == "json":
        return out
    pupil = get_pupil(s, a, school_id, pupil_id, "sar.export")
    pdf = sar.export_pdf(out, pupil, s.get(School, school_id).name, a.name)
    return download(pdf, f"subject-access-{pupil_id}.pdf", "application/pdf")
