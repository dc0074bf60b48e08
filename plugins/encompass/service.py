"""The Encompass plugin's public rules: what its pages, API, jobs, CLI, panels and hooks call.
No Flask here. Each intake route checks who is submitting, validates with the one schema and
hands over to :mod:`.intake`.

The rules live in private modules beside this one, each with one responsibility; callers
import this module only, so those modules can be split or merged without touching them:
:mod:`.matching` (names and dates of birth), :mod:`.intake` (repeats, updates, filing),
:mod:`.fanout` (the family's other schools), :mod:`.triage` (the core concern),
:mod:`.response` (the key adult's steps), :mod:`.inbox` (what people read),
:mod:`.deadlines` (before the next registration), :mod:`.figures` (counts, the overdue check,
chronology, the transfer section), :mod:`.clients` (police systems' credentials),
:mod:`.documents` (uploads), :mod:`.key_adults`.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import find_in_school, get_in_school
from core.errors import ValidationError
from core.policy import Actor, can, require

from plugins.encompass import schemas
from plugins.encompass.clients import authenticate, create_client, revoke_client, school_for
from plugins.encompass.deadlines import CALENDAR_MISSING, calendar_gap, set_registration_time
from plugins.encompass.documents import get_document, store_upload
from plugins.encompass.figures import (
    DEFINITIONS as METRICS,
    check_overdue,
    chronology,
    school_metrics,
    school_metrics_many,
    status_counts,
    transfer_section,
    waiting_count,
)
from plugins.encompass.inbox import (
    DobDiffers,
    find_pupil_for_child,
    inbox,
    match_by_hand,
    read_notification,
    unmatched_queue,
)
from plugins.encompass.key_adults import (
    add_key_adult,
    eligible_staff,
    list_key_adults,
    remove_key_adult,
)
from plugins.encompass.response import (
    STATUS_LABELS,
    STEP_LABELS,
    SUPPORT,
    add_step,
    status_of,
    steps_of,
)
from plugins.encompass.intake import IntakeResult, receive
from plugins.encompass.models import (
    EncompassApiClient,
    EncompassChild,
    EncompassDocument,
    EncompassNotification,
)

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
        doc = find_in_school(session, EncompassDocument, document_id, school_id)
        if doc is None:
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
    return get_in_school(session, EncompassDocument, doc_id, school_id, "document")


def notifications_of_pupil(session: Session, actor: Actor, school_id: int, pupil_id: int
                           ) -> list[tuple[EncompassNotification, str]]:
    """The pupil's notifications, newest first, each with its status; for those who may read
    the school's notifications (others get an empty list, not an error)."""
    if not can(actor, "encompass.read", school_id, session=session):
        return []
    rows = list(session.scalars(select(EncompassNotification).join(
        EncompassChild, EncompassChild.notification_id == EncompassNotification.id)
        .where(EncompassChild.pupil_id == pupil_id, EncompassChild.school_id == school_id)
        .order_by(EncompassNotification.received_at.desc())).unique())
    return [(n, status_of(n, steps_of(session, n.id))) for n in rows]

