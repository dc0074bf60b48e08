"""Operation Encompass records: notifications, the children they name, later updates, the
key adult's append-only response steps, uploaded documents, key adults and API clients."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    Time,
    UniqueConstraint,
    case,
    exists,
    select,
)
from sqlalchemy.orm import Mapped, column_property, deferred, mapped_column

from core.db import AppendOnly, Base, SchoolScoped, TrustScoped, school_key, utcnow

STEP_KINDS = ("received", "updated", "matched", "acknowledged", "support", "follow_up",
              "dsl_review", "closed", "reopened")
MATCH_STATES = ("matched", "ambiguous", "unmatched", "elsewhere", "sibling", "not_a_pupil")
SOURCES = ("form", "api", "upload", "linked")


class EncompassNotification(SchoolScoped, AppendOnly, Base):
    """A police notification as supplied. Never edited: later versions are
    :class:`EncompassUpdate` rows, the response is :class:`EncompassStep` rows."""

    __tablename__ = "encompass_notifications"
    __school_key_target__ = True
    __table_args__ = (
        # one notification per force and reference in a school: repeats are recognised
        UniqueConstraint("school_id", "force_key", "reference_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force: Mapped[str | None] = mapped_column(String(100))
    force_key: Mapped[str | None] = mapped_column(String(100))
    police_reference: Mapped[str | None] = mapped_column(String(60))
    reference_key: Mapped[str | None] = mapped_column(String(60))
    incident_date: Mapped[dt.date]
    incident_time: Mapped[dt.time | None] = mapped_column(Time)
    incident_place: Mapped[str | None] = mapped_column(String(300))
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
    child_present: Mapped[bool | None] = mapped_column(Boolean)
    welfare_check: Mapped[bool | None] = mapped_column(Boolean)
    child_words: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    officer_name: Mapped[str | None] = mapped_column(String(120))
    officer_contact: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(10))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    api_client_id: Mapped[int | None] = mapped_column(ForeignKey("encompass_api_clients.id"))
    # the deadline counted on receipt; ``due_at`` (below) is the one that stands now
    due_at_on_receipt: Mapped[dt.datetime | None] = mapped_column("due_at", index=True)
    group_key: Mapped[str] = mapped_column(String(32), index=True)
    linked_from_id: Mapped[int | None] = mapped_column(index=True)  # in another school
    link_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EncompassChild(SchoolScoped, Base):
    """A child named in a notification (or a sibling it reaches), and how they were matched
    to the school's roll. The matching state changes (a DSL matches by hand); every change
    is also an append-only ``matched`` step."""

    __tablename__ = "encompass_children"
    __table_args__ = (
        CheckConstraint("match IN ('matched','ambiguous','unmatched','elsewhere','sibling',"
                        "'not_a_pupil')", name="match_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = school_key("encompass_notifications", index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[dt.date | None]
    address: Mapped[str | None] = mapped_column(String(300))
    named: Mapped[bool] = mapped_column(default=True)  # False: a sibling the police did not name
    pupil_id: Mapped[int | None] = mapped_column(index=True)
    match: Mapped[str] = mapped_column(String(12))
    candidates: Mapped[list] = mapped_column(default=list)
    elsewhere_school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    concern_id: Mapped[int | None] = school_key("concerns")
    matched_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    matched_at: Mapped[dt.datetime | None]


class EncompassUpdate(SchoolScoped, AppendOnly, Base):
    """A later version of a notification that added or changed something."""

    __tablename__ = "encompass_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = school_key("encompass_notifications", index=True)
    received_at: Mapped[dt.datetime]
    source: Mapped[str] = mapped_column(String(10))
    changes: Mapped[dict] = mapped_column(default=dict)
    children_added: Mapped[list] = mapped_column(default=list)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    api_client_id: Mapped[int | None] = mapped_column(ForeignKey("encompass_api_clients.id"))


class EncompassStep(SchoolScoped, AppendOnly, Base):
    """One step of the response: received, acknowledged, support given, follow-up, DSL
    review, closure. Corrections are new steps."""

    __tablename__ = "encompass_steps"
    __table_args__ = (
        CheckConstraint("kind IN ('received','updated','matched','acknowledged','support',"
                        "'follow_up','dsl_review','closed','reopened')", name="step_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = school_key("encompass_notifications", index=True)
    kind: Mapped[str] = mapped_column(String(14))
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupils.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    support: Mapped[list] = mapped_column(default=list)


class EncompassDeadline(SchoolScoped, AppendOnly, Base):
    """A notification's response deadline counted again because the school's calendar
    changed (a term entered, a closure marked); ``due_at`` is None while the calendar still
    does not reach the next school day. Never edited: the latest is the deadline, and the
    ones before it, like the one counted on receipt, stay as they were."""

    __tablename__ = "encompass_deadlines"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = school_key("encompass_notifications", index=True)
    due_at: Mapped[dt.datetime | None]
    reason: Mapped[str] = mapped_column(String(200))
    counted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# The deadline that stands: the latest recount, or the one counted on receipt. A column of
# every notification query, so the inbox, the statuses, the overdue job and the figures read
# one value and filter on it in SQL.
_recounts = select(EncompassDeadline.due_at).where(
    EncompassDeadline.notification_id == EncompassNotification.id,
    EncompassDeadline.school_id == EncompassNotification.school_id)
EncompassNotification.due_at = column_property(case(
    (exists(_recounts), _recounts.order_by(EncompassDeadline.id.desc()).limit(1)
     .scalar_subquery()),
    else_=EncompassNotification.due_at_on_receipt))


class EncompassDocument(SchoolScoped, Base):
    """An uploaded notification (email or document). Kept as received; attached to the
    notification the key adult keys in from it."""

    __tablename__ = "encompass_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = school_key("encompass_notifications",
                                                     index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    parsed: Mapped[dict] = mapped_column(default=dict)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class KeyAdult(SchoolScoped, Base):
    """A member of staff trained as the school's Operation Encompass key adult. Removal is
    recorded (``removed_at``), never deleted."""

    __tablename__ = "encompass_key_adults"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[dt.datetime | None]


class EncompassApiClient(TrustScoped, Base):
    """A police or local-authority system allowed to post notifications: to every school of
    its trust, or only to the school with ``urn``. Only the secret's SHA-256 is kept."""

    __tablename__ = "encompass_api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    urn: Mapped[str | None] = mapped_column(String(6))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
