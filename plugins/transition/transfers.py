"""The rules of a transfer, sender's side and (inside the trust) receiver's side.

A transfer belongs to the sending school. The receiving school's DSLs reach it only through
this module, which lifts the tenant wall with :func:`core.db.system_scope` for exactly the
rows of that one transfer, after checking they are its destination, and audits it. Every
status change is an append-only :class:`TransferEvent`; forms carry an idempotency key so a
retried request finds its first answer instead of acting twice.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import calendar_for, london_today
from core.db import system_scope, utcnow
from core.entrylog import Draft, EntryLog, EntryRule
from core.errors import NotFound, ValidationError
from core.models import Pupil, School
from core.plugins import current_host
from core.policy import Actor, require
from core.schools import deadline_day_count
from plugins.transition import deadlines, package
from plugins.transition.definition import NAME
from plugins.transition.models import (
    EVENT_KINDS,
    STATUS_LABELS,
    Transfer,
    TransferEvent,
    TransferPackage,
)

UNFINISHED = ("pending", "prepared", "sent", "viewed", "failed")


# --- finding schools and transfers ----------------------------------------------------------

def school_by_urn(session: Session, urn: str) -> School | None:
    """Any school on this platform with that URN (a lookup outside the caller's tenants)."""
    with system_scope(session, "transition: find destination school by URN"):
        return session.scalar(select(School).where(School.urn == urn))


def _plugin_on(session: Session, school_id: int) -> bool:
    with system_scope(session, "transition: is the plugin on at the destination"):
        return current_host().is_enabled(session, school_id, NAME)


def in_trust_destination(session: Session, transfer: Transfer) -> School | None:
    """The receiving school when it is in the sender's trust and uses this plugin."""
    if transfer.destination_school_id is None:
        return None
    with system_scope(session, "transition: destination school"):
        dest = session.get(School, transfer.destination_school_id)
    if dest is None or dest.trust_id != transfer.trust_id or not _plugin_on(session, dest.id):
        return None
    return dest


@dataclass
class Side:
    transfer: Transfer
    role: str  # "sender" | "receiver"


def load(session: Session, actor: Actor, school_id: int, transfer_id: int) -> Side:
    """A transfer as seen from ``school_id``: its sender, or its in-trust destination once the
    file is sent. Only those two DSL teams; everyone else gets :class:`NotFound`."""
    require(actor, "transfer.handle", school_id)
    with system_scope(session, "transition: load a transfer for sender or receiver"):
        t = session.get(Transfer, transfer_id)
    if t is None:
        raise NotFound("transfer")
    if t.school_id == school_id:
        return Side(t, "sender")
    if t.destination_school_id == school_id and t.route == "trust" and t.first_sent_at:
        audit.record(session, "transition.cross_school_read", actor=actor,
                     object_type="transfer", object_id=t.id, school_id=school_id,
                     detail={"sending_school_id": t.school_id})
        return Side(t, "receiver")
    raise NotFound("transfer")


def events_of(session: Session, transfer: Transfer) -> list[TransferEvent]:
    with system_scope(session, "transition: events of one transfer"):
        return list(session.scalars(select(TransferEvent).where(
            TransferEvent.transfer_id == transfer.id,
            TransferEvent.school_id == transfer.school_id)
            .order_by(TransferEvent.at, TransferEvent.id)))


def packages_of(session: Session, transfer: Transfer) -> list[TransferPackage]:
    with system_scope(session, "transition: packages of one transfer"):
        return list(session.scalars(select(TransferPackage).where(
            TransferPackage.transfer_id == transfer.id,
            TransferPackage.school_id == transfer.school_id).order_by(TransferPackage.version)))


def sent_package(session: Session, transfer: Transfer) -> TransferPackage:
    """The package of the latest send: what the receiver has."""
    sends = [e for e in events_of(session, transfer) if e.kind in ("sent", "resent")]
    if not sends:
        raise NotFound("package")
    with system_scope(session, "transition: the package as sent"):
        return session.get(TransferPackage, sends[-1].package_id)


def replayed(session: Session, transfer: Transfer, key: str | None) -> TransferEvent | None:
    """The event an earlier try of the same request made, if any."""
    if not key:
        return None
    with system_scope(session, "transition: idempotency lookup"):
        return session.scalar(select(TransferEvent).where(
            TransferEvent.school_id == transfer.school_id,
            TransferEvent.idempotency_key == key))


def _becomes_status(draft: Draft, event: TransferEvent) -> None:
    """The transfer's ``status`` mirrors its latest status event, so lists need no replay."""
    transfer = draft.parent
    transfer.status = draft.kind
    if draft.kind == "sent" and transfer.first_sent_at is None:
        transfer.first_sent_at = event.at


_STATUS = {"after": _becomes_status}

#: The events of a transfer, one rule per kind (see :mod:`core.entrylog`): each status says
#: from which statuses it may be reached.
EVENTS = EntryLog("transfer events", [
    EntryRule("prepared", STATUS_LABELS["prepared"], **_STATUS,
              allowed_in=("pending", "prepared", "failed"),
              refused_message="a {status} file cannot be prepared again"),
    EntryRule("sent", STATUS_LABELS["sent"], **_STATUS, allowed_in=("prepared", "failed"),
              refused_message="prepare the file before sending it"),
    EntryRule("viewed", STATUS_LABELS["viewed"], **_STATUS, allowed_in=("sent",),
              refused_message="only a file just sent can be marked viewed"),
    EntryRule("receipt_confirmed", STATUS_LABELS["receipt_confirmed"], **_STATUS,
              allowed_in=("sent", "viewed"),
              refused_message="this file is {status}: there is no receipt to confirm"),
    EntryRule("accepted", STATUS_LABELS["accepted"], **_STATUS,
              allowed_in=("receipt_confirmed",),
              refused_message="confirm receipt before accepting the file"),
    EntryRule("rejected", STATUS_LABELS["rejected"], **_STATUS, body=True,
              body_message="say why the file is rejected",
              allowed_in=("sent", "viewed", "receipt_confirmed"),
              refused_message="a {status} file cannot be rejected"),
    EntryRule("failed", STATUS_LABELS["failed"], **_STATUS, body=True,
              body_message="say what went wrong", allowed_in=("sent", "viewed"),
              refused_message="only a sent file can be marked as failed"),
    EntryRule("created", "Transfer opened"),
    EntryRule("chased", "Receiving school chased"),
    EntryRule("resent", "Sent again", allowed_in=("sent", "viewed"),
              refused_message="only a sent file can be sent again"),
], status_key="status", body_key="reason", audit_prefix="transition", object_type="transfer",
    id_key="event_id")
assert set(EVENTS.kinds) | {"pending"} == set(EVENT_KINDS)  # a transfer is opened pending


def add_event(session: Session, transfer: Transfer, kind: str, *, actor: Actor | None,
              acting_school_id: int | None, package_id: int | None = None, reason: str = "",
              data: dict | None = None, key: str | None = None) -> TransferEvent:
    """Append a step if its rule in :data:`EVENTS` allows it, and mirror a status change on
    the transfer; audited. Written into the sending school's records whoever acts, hence the
    narrow system scope."""
    draft = Draft(kind, (reason or "").strip(), {}, (), transfer.status, session, actor, transfer)
    EVENTS.check(draft)
    ev = TransferEvent(school_id=transfer.school_id, trust_id=transfer.trust_id,
                       transfer_id=transfer.id, kind=kind,
                       user_id=actor.user_id if actor else None,
                       user_name=(actor.name if actor else "the system")[:200],
                       acting_school_id=acting_school_id, package_id=package_id,
                       reason=draft.body, data=data or {}, idempotency_key=key, at=utcnow())
    with system_scope(session, "transition: append a transfer event"):
        EVENTS.append(draft, ev, object_id=transfer.id,
                      school_id=acting_school_id or transfer.school_id,
                      detail={"transfer_school_id": transfer.school_id,
                              "reason": draft.body[:200], **(data or {})})
        session.flush()
    return ev


# --- the transfer is opened when a pupil leaves -----------------------------------------------

def open_transfer(session: Session, school_id: int, pupil_id: int, destination_urn: str,
                  leaving: dt.date, user_id: int | None = None) -> Transfer | None:
    """Start a pending transfer for a pupil leaving with a destination URN (idempotent: one
    per pupil). The deadline is counted in the sending school's calendar, in school days or
    calendar days as its trust chose."""
    existing = session.scalar(select(Transfer).where(Transfer.school_id == school_id,
                                                     Transfer.pupil_id == pupil_id))
    if existing is not None:
        return existing
    pupil = session.get(Pupil, pupil_id)
    with system_scope(session, "transition: sending school"):
        sender = session.get(School, school_id)
    if pupil is None or sender is None or destination_urn == sender.urn:
        return None
    dest = school_by_urn(session, destination_urn)
    due, rule = deadlines.due_date(calendar_for(session, school_id), leaving,
                                   deadline_day_count(session, sender.trust_id))
    t = Transfer(school_id=school_id, trust_id=sender.trust_id, pupil_id=pupil_id,
                 pupil_name=pupil.display_name, year_group=pupil.year_group,
                 destination_urn=destination_urn,
                 destination_school_id=dest.id if dest and dest.trust_id == sender.trust_id
                 else None,
                 destination_name=dest.name if dest else "", leaving_date=leaving,
                 due_date=due, due_rule=rule, status="pending", created_by_id=user_id)
    session.add(t)
    session.flush()
    add_event(session, t, "created", actor=None, acting_school_id=school_id,
              data={"destination_urn": destination_urn, "due_date": due.isoformat()})
    return t


def on_pupil_event(session: Session, school_id: int, pupil_id: int, event: str,
                   data: dict) -> None:
    """``left`` with a destination opens a transfer; other events are not ours."""
    if event == "left" and data.get("destination_urn"):
        open_transfer(session, school_id, pupil_id, data["destination_urn"],
                      dt.date.fromisoformat(data["date"]))


# --- the sending DSL ----------------------------------------------------------------------------

def _sender(session: Session, actor: Actor, school_id: int, transfer_id: int) -> Transfer:
    side = load(session, actor, school_id, transfer_id)
    if side.role != "sender":
        raise NotFound("transfer")
    return side.transfer


def preview(session: Session, actor: Actor, school_id: int, transfer_id: int
            ) -> list[package.Section]:
    """What would travel: each section and its items, for the DSL to choose from. Audited."""
    t = _sender(session, actor, school_id, transfer_id)
    sections = package.gather_sections(session, school_id, t.pupil_id)
    audit.record(session, "transition.preview_read", actor=actor, object_type="transfer",
                 object_id=t.id, school_id=school_id)
    return sections


def prepare(session: Session, actor: Actor, school_id: int, transfer_id: int, *,
            covering_note: str, omissions: list[dict] | None = None,
            key: str | None = None) -> TransferPackage:
    """Freeze a new version of the package (before sending, or after a failure)."""
    t = _sender(session, actor, school_id, transfer_id)
    if (ev := replayed(session, t, key)) is not None:
        return session.get(TransferPackage, ev.package_id)
    EVENTS.require_status("prepared", t.status)
    note = (covering_note or "").strip()
    if not note:
        raise ValidationError({"covering_note": ["write a covering note for the receiving DSL"]})
    if len(note) > 5000:
        raise ValidationError({"covering_note": ["must be at most 5000 characters"]})
    pupil = session.get(Pupil, t.pupil_id)
    sender = session.get(School, school_id)
    now = utcnow()
    content, clean = package.build(
        session, pupil, sender, destination_urn=t.destination_urn,
        destination_name=t.destination_name, leaving_date=t.leaving_date,
        prepared_by=actor.name, prepared_at=now, covering_note=note, omissions=omissions or [])
    version = 1 + len(packages_of(session, t))
    pkg = TransferPackage(school_id=school_id, trust_id=t.trust_id, transfer_id=t.id,
                          version=version, content=content.decode("utf-8"),
                          sha256=package.sha256(content), covering_note=note, omissions=clean,
                          created_at=now, created_by_id=actor.user_id)
    session.add(pkg)
    session.flush()
    add_event(session, t, "prepared", actor=actor, acting_school_id=school_id,
              package_id=pkg.id, key=key,
              data={"version": version, "sha256": pkg.sha256, "withheld": len(clean)})
    return pkg


def send_in_trust(session: Session, actor: Actor, school_id: int, transfer_id: int,
                  key: str | None = None) -> TransferEvent:
    """Put the latest package in the receiving school's DSL inbox."""
    t = _sender(session, actor, school_id, transfer_id)
    if (ev := replayed(session, t, key)) is not None:
        return ev
    EVENTS.require_status("sent", t.status)
    if in_trust_destination(session, t) is None:
        raise ValidationError({"route": ["the destination is not a school of this trust using "
                                         "transition: export an encrypted bundle instead"]})
    pkg = packages_of(session, t)[-1]
    t.route = "trust"
    return add_event(session, t, "sent", actor=actor, acting_school_id=school_id,
                     package_id=pkg.id, key=key,
                     data={"route": "trust", "sha256": pkg.sha256})


def mark_failed(session: Session, actor: Actor, school_id: int, transfer_id: int, reason: str,
                key: str | None = None) -> TransferEvent:
    """The send did not reach the receiving DSL (wrong school, link lost): it can be sent
    again."""
    t = _sender(session, actor, school_id, transfer_id)
    if (ev := replayed(session, t, key)) is not None:
        return ev
    return add_event(session, t, "failed", actor=actor, acting_school_id=school_id,
                     reason=reason, key=key)


def record_confirmation(session: Session, actor: Actor, school_id: int, transfer_id: int, *,
                        confirmed_by: str, confirmed_on: dt.date, how: str,
                        key: str | None = None) -> TransferEvent:
    """The sender records by hand that a school outside the platform confirmed receipt."""
    t = _sender(session, actor, school_id, transfer_id)
    if (ev := replayed(session, t, key)) is not None:
        return ev
    errors = EVENTS.status_errors("receipt_confirmed", t.status)
    if not (confirmed_by or "").strip():
        errors["confirmed_by"] = ["name the person at the receiving school who confirmed"]
    if not isinstance(confirmed_on, dt.date) or confirmed_on > london_today():
        errors["confirmed_on"] = ["give the date of the confirmation (not in the future)"]
    elif t.first_sent_at and confirmed_on < t.first_sent_at.date():
        errors["confirmed_on"] = ["cannot be before the file was sent"]
    if not (how or "").strip():
        errors["how"] = ["say how it was confirmed (phone, secure email...)"]
    if errors:
        raise ValidationError(errors)
    return add_event(session, t, "receipt_confirmed", actor=actor, acting_school_id=school_id,
                     key=key, reason=how.strip(),
                     data={"confirmed_by": confirmed_by.strip(),
                           "confirmed_on": confirmed_on.isoformat(), "by_hand": True})


# --- lists ----------------------------------------------------------------------------------------

def outgoing(session: Session, actor: Actor, school_id: int, *, unfinished_only: bool = False
             ) -> list[Transfer]:
    """The school's transfers, soonest deadline first."""
    require(actor, "transfer.handle", school_id)
    stmt = select(Transfer).where(Transfer.school_id == school_id)
    if unfinished_only:
        stmt = stmt.where(Transfer.status.in_(UNFINISHED))
    rows = list(session.scalars(stmt.order_by(Transfer.due_date, Transfer.id)))
    audit.record(session, "transition.outgoing_read", actor=actor, object_type="school",
                 object_id=school_id, school_id=school_id, detail={"count": len(rows)})
    return rows


def inbox(session: Session, actor: Actor, school_id: int) -> list[Transfer]:
    """Files sent to this school by schools of the trust (read across the tenant wall,
    audited), awaiting or after the receiving DSL's action."""
    require(actor, "transfer.handle", school_id)
    with system_scope(session, "transition: receiving school's inbox"):
        rows = list(session.scalars(select(Transfer).where(
            Transfer.destination_school_id == school_id, Transfer.route == "trust",
            Transfer.first_sent_at.is_not(None)).order_by(Transfer.first_sent_at.desc())))
    audit.record(session, "transition.inbox_read", actor=actor, object_type="school",
                 object_id=school_id, school_id=school_id, detail={"count": len(rows)})
    return rows


def transfer_of_pupil(session: Session, school_id: int, pupil_id: int) -> Transfer | None:
    """The pupil's transfer out of this school, if one was opened (one per pupil and school)."""
    return session.scalar(select(Transfer).where(Transfer.school_id == school_id,
                                                 Transfer.pupil_id == pupil_id))
