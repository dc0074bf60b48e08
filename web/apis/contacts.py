"""``/api/v1/schools/{school_id}/pupils/{pupil_id}/contacts``: the professionals working with
a pupil (social worker, early help worker, police officer, school nurse...). Case-file
information: the DSL team and the trust lead read them (audited); the DSL team adds and ends
them (a contact is ended, never deleted)."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields
from marshmallow.validate import Length, OneOf

from core import contacts
from core.date_limits import Date
from core.models.contacts import CONTACT_ROLES
from web import context
from web.apis import allowed, refusals
from web.apis.schemas import StrictSchema, Text, UtcDateTime

blp = Blueprint("api_contacts", __name__,
                url_prefix="/api/v1/schools/<int:school_id>/pupils/<int:pupil_id>/contacts",
                description="Agency contacts: the professionals working with a pupil")


class ContactSchema(Schema):
    id = fields.Int()
    role = fields.Str()
    role_label = fields.Function(lambda c: CONTACT_ROLES.get(c.role, c.role))
    name = fields.Str()
    organisation = fields.Str()
    phone = fields.Str()
    email = fields.Str()
    notes = fields.Str()
    start_date = Date()
    end_date = Date(allow_none=True)
    recorded_at = UtcDateTime()


class ContactQuerySchema(Schema):
    include_ended = fields.Bool(load_default=True, metadata={
        "description": "Also the contacts that have ended (default true)"})


class ContactCreateSchema(StrictSchema):
    role = Text(required=True, validate=OneOf(list(CONTACT_ROLES)),
                metadata={"description": ", ".join(CONTACT_ROLES)})
    name = Text(required=True, validate=Length(1, contacts.LIMITS["name"]))
    organisation = Text(load_default="", validate=Length(max=contacts.LIMITS["organisation"]))
    phone = Text(load_default="", validate=Length(max=contacts.LIMITS["phone"]))
    email = Text(load_default="", validate=Length(max=contacts.LIMITS["email"]),
                 metadata={"description": "Checked to be an email address"})
    notes = Text(load_default="", validate=Length(max=contacts.LIMITS["notes"]))
    start_date = Date(load_default=None, metadata={"description": "Today when not sent"})
    end_date = Date(load_default=None, metadata={"description": "Only if already known"})


class ContactEndSchema(StrictSchema):
    end_date = Date(load_default=None, metadata={
        "description": "Their last day with the pupil; today when not sent"})


@blp.route("", methods=["GET"])
@refusals(blp)
@allowed("casefile.read")
@blp.arguments(ContactQuerySchema, location="query")
@blp.response(200, ContactSchema(many=True))
def list_contacts(args, school_id: int, pupil_id: int):
    """The pupil's agency contacts, current ones first (the DSL team and the trust lead;
    audited)."""
    return contacts.list_contacts(context.db(), context.actor(), school_id, pupil_id,
                                  include_ended=args["include_ended"])


@blp.route("", methods=["POST"])
@refusals(blp)
@allowed("casefile.write")
@blp.arguments(ContactCreateSchema)
@blp.response(201, ContactSchema)
def add_contact(data, school_id: int, pupil_id: int):
    """Add a professional working with the pupil. A bad email or phone, an end before the
    start or an unknown role is refused naming the field."""
    if data.get("start_date") is None:
        data.pop("start_date", None)
    return contacts.add_contact(context.db(), context.actor(), school_id, pupil_id, **data)


@blp.route("/<int:contact_id>/end", methods=["POST"])
@refusals(blp)
@allowed("casefile.write")
@blp.arguments(ContactEndSchema)
@blp.response(200, ContactSchema)
def end_contact(data, school_id: int, pupil_id: int, contact_id: int):
    """End a contact from ``end_date``; it is kept as ended. Ending it again is refused."""
    return contacts.end_contact(context.db(), context.actor(), school_id, pupil_id,
                                contact_id, data["end_date"])
