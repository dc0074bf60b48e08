"""The plugin's rules as the pages, API, jobs and CLI call them. Each intake route checks
who is submitting, validates with the one schema, and hands over to :mod:`.intake`.

Modules behind it: :mod:`.matching` (names and dates of birth), :mod:`.intake` (repeats,
updates, filing), :mod:`.fanout` (the family's other schools), :mod:`.triage` (the core
concern), :mod:`.response` (the key adult's steps), :mod:`.inbox` (what people read),
:mod:`.deadlines`, :mod:`.figures`, :mod:`.clients`, :mod:`.documents`, :mod:`.key_adults`.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from core.errors import NotFound, ValidationError
from core.policy import Actor, require

from plugins.encompass import schemas
from plugins.encompass.clients import school_for
from plugins.encompass.intake import IntakeResult, receive
from plugins.encompass.models import EncompassApiClient, EncompassDocument

FORM_CHILD_ROWS = 4


def form_to_payload(form) -> dict:
    """The logging form's fields as a notification payload: blank fields left out, the
    children from numbered rows, yes/no answers as booleans."""
    data: dict = {}
    for f in ("force", "police_reference", "incident_date", "incident_time", "incident_place",
              "received_at", "child_words", "summary", "officer_name", "officer_contact"):
        value = (form.get(f) or "").strip()
        if value:
            data[f] = value
    for f in ("child_present", "welfare_check"):
        value = (form.get(f) or "").strip()
        if value in ("yes", "no"):
            data[f] = value == "yes"
    children = []
    for i in range(FORM_CHILD_ROWS):
        row = {k: (form.get(f"children-{i}-{k}") or "").strip()
               for k in ("first_name", "last_name", "date_of_birth", "address")}
        if not any(row.values()):
            continue
        children.append({k: v for k, v in row.items() if v or k in ("first_name", "last_name")})
    data["children"] = children
    return data


def log_notification(session: Session, actor: Actor, school_id: int, data: dict, *,
                     source: str = "form", document_id: int | None = None) -> IntakeResult:
    """A key adult or the DSL logs a notification received by phone, secure email or
    uploaded document. ``data`` is validated here."""
    require(actor, "encompass.read", school_id, session=session)
    if "received_at" in data and isinstance(data["received_at"], str) and \
            len(data["received_at"]) == 16:  # a form's datetime-local has no seconds or zone
        data = {**data, "received_at": data["received_at"] + ":00"}
    clean = schemas.load(schemas.NotificationSchema(), data)
    doc = None
    if document_id is not None:
        doc = session.get(EncompassDocument, document_id)
        if doc is None or doc.school_id != school_id:
            raise ValidationError({"document_id": ["no such uploaded document"]})
        if doc.notification_id is not None:
            raise ValidationError({"document_id": ["this document is already filed"]})
    result = receive(session, school_id, clean, source="upload" if doc else source,
                     user_id=actor.user_id)
    if doc is not None:
        doc.notification_id = result.notification.id
        session.flush()
    return result


def post_from_system(session: Session, client: EncompassApiClient, payload) -> IntakeResult:
    """A police or local-authority system posts a notification, routed by the URN in it."""
    if not isinstance(payload, dict):
        raise ValidationError({"_schema": ["send a JSON object"]})
    clean = schemas.load(schemas.ApiNotificationSchema(), payload)
    school_id = school_for(session, client, clean.pop("urn"))
    return receive(session, school_id, clean, source="api", api_client_id=client.id)


def document_for_form(session: Session, actor: Actor, school_id: int, doc_id: int
                      ) -> EncompassDocument:
    """An uploaded, not yet filed document, to pre-fill the logging form."""
    require(actor, "encompass.read", school_id, session=session)
    doc = session.get(EncompassDocument, doc_id)
    if doc is None or doc.school_id != school_id:
        raise NotFound("document")
    return doc
