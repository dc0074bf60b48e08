"""Transfers of the child-protection file: the sender's transfer with its frozen packages and
append-only status events, encrypted bundles and one-time links for schools outside the trust,
and, at the receiving school, the files received and the files still awaited."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from core.db import AppendOnly, Base, SchoolScoped, school_key, utcnow

# what a sender can watch, in the order a transfer normally goes through them
STATUSES = ("pending", "prepared", "sent", "viewed", "receipt_confirmed", "accepted",
            "rejected", "failed")
STATUS_LABELS = {
    "pending": "To prepare", "prepared": "Prepared", "sent": "Sent", "viewed": "Viewed",
    "receipt_confirmed": "Receipt confirmed", "accepted": "Accepted", "rejected": "Rejected",
    "failed": "Failed",
}
# events that are not a status of their own
EVENT_KINDS = STATUSES + ("created", "chased", "resent")
ROUTES = ("trust", "bundle")  # inside the trust (DSL inbox) or an encrypted bundle


class Transfer(SchoolScoped, Base):
    """One pupil's departure with a destination, kept by the sending school (``school_id``).
    ``status`` mirrors the latest status event so lists need no replay; the events are the
    record."""

    __tablename__ = "transition_transfers"
    __school_key_target__ = True
    __table_args__ = (UniqueConstraint("school_id", "pupil_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(index=True)
    pupil_name: Mapped[str] = mapped_column(String(200))
    year_group: Mapped[int]
    destination_urn: Mapped[str] = mapped_column(String(6), index=True)
    destination_school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    destination_name: Mapped[str] = mapped_column(String(200), default="")
    leaving_date: Mapped[dt.date]
    due_date: Mapped[dt.date | None] = mapped_column(index=True)
    due_rule: Mapped[str] = mapped_column(String(20), default="in_year")
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    route: Mapped[str | None] = mapped_column(String(10))
    first_sent_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class TransferPackage(SchoolScoped, AppendOnly, Base):
    """A frozen package: canonical JSON stored byte for byte as built, with its SHA-256.
    ``omissions`` (sender only) says what the DSL left out and why."""

    __tablename__ = "transition_packages"
    __table_args__ = (UniqueConstraint("transfer_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = school_key("transition_transfers", index=True)
    version: Mapped[int]
    content: Mapped[str] = deferred(mapped_column(Text))
    sha256: Mapped[str] = mapped_column(String(64))
    covering_note: Mapped[str] = mapped_column(Text, default="")
    omissions: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class TransferEvent(SchoolScoped, AppendOnly, Base):
    """One step of a transfer: who (at which school), when, and why. Never edited."""

    __tablename__ = "transition_events"
    __table_args__ = (UniqueConstraint("school_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = school_key("transition_transfers", index=True)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    user_name: Mapped[str] = mapped_column(String(200), default="")
    acting_school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    package_id: Mapped[int | None] = mapped_column(ForeignKey("transition_packages.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(80))


class TransferBundle(SchoolScoped, AppendOnly, Base):
    """An encrypted bundle as exported for a school outside the trust. The passphrase is
    never stored; ``receipt_key`` (derived from it, separate from the encryption key) lets
    the sender check a receipt signed by the receiving instance."""

    __tablename__ = "transition_bundles"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = school_key("transition_transfers", index=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("transition_packages.id"))
    header: Mapped[dict] = mapped_column()
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    receipt_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DownloadLink(SchoolScoped, Base):
    """A one-time, expiring link to a bundle for the receiving DSL. Only the token's SHA-256
    is kept; ``used_at`` is set once, when the file is taken."""

    __tablename__ = "transition_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = school_key("transition_transfers", index=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("transition_bundles.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReceivedFile(SchoolScoped, AppendOnly, Base):
    """A child-protection file the receiving school (``school_id``) accepted, from a school of
    the trust or imported from a bundle: the package exactly as it arrived, with provenance."""

    __tablename__ = "transition_received_files"
    __table_args__ = (UniqueConstraint("school_id", "package_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(10))  # trust | bundle
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transition_transfers.id"))
    sender_urn: Mapped[str] = mapped_column(String(6))
    sender_name: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = deferred(mapped_column(Text))
    package_sha256: Mapped[str] = mapped_column(String(64))
    bundle_sha256: Mapped[str | None] = mapped_column(String(64))
    receipt: Mapped[dict | None] = mapped_column()
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class IncomingFile(SchoolScoped, Base):
    """A new pupil whose previous school is not on the platform: the file is awaited, chased
    and recorded as received through :class:`IncomingEvent` rows."""

    __tablename__ = "transition_incoming"
    __school_key_target__ = True
    __table_args__ = (UniqueConstraint("school_id", "pupil_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(index=True)
    previous_school: Mapped[str] = mapped_column(String(200))
    previous_urn: Mapped[str | None] = mapped_column(String(6))
    received_at: Mapped[dt.datetime | None]  # mirrors the ``received`` event, for the list
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class IncomingEvent(SchoolScoped, AppendOnly, Base):
    """A chase for an awaited file, or its arrival (on paper, by secure email, by bundle)."""

    __tablename__ = "transition_incoming_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incoming_id: Mapped[int] = school_key("transition_incoming", index=True)
    kind: Mapped[str] = mapped_column(String(10))  # chased | received
    method: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(120))
    size: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))


# the children-missing-education steps: what can be recorded on a case
MISSING_KINDS = {"enquiry": "Enquiry made", "la_notified": "Local authority notified"}


class MissingEducation(SchoolScoped, Base):
    """A pupil taken off roll with no known destination: a possible child missing education.
    The local authority must be told (by ``notify_by``, the platform's reading of the
    guidance) and the school makes reasonable enquiries, recorded as
    :class:`MissingEducationEvent` rows; ``la_notified_at`` mirrors the ``la_notified`` event
    so lists need no replay."""

    __tablename__ = "transition_missing"
    __school_key_target__ = True
    __table_args__ = (UniqueConstraint("school_id", "pupil_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(index=True)
    pupil_name: Mapped[str] = mapped_column(String(200))
    year_group: Mapped[int]
    leaving_date: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(String(200), default="")
    notify_by: Mapped[dt.date] = mapped_column(index=True)
    la_notified_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MissingEducationEvent(SchoolScoped, AppendOnly, Base):
    """An enquiry about where the child went, or the notification of the local authority:
    who, when, what was said. Never edited."""

    __tablename__ = "transition_missing_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    missing_id: Mapped[int] = school_key("transition_missing", index=True)
    kind: Mapped[str] = mapped_column(String(20))  # enquiry | la_notified
    note: Mapped[str] = mapped_column(Text, default="")
    notified_on: Mapped[dt.date | None]
    la_contact: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    user_name: Mapped[str] = mapped_column(String(200), default="")
