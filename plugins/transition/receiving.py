"""The receiving DSL's side: open the file, confirm receipt (the KCSIE confirmation), accept
it (the pupil joins the roll, transferred in, with the history) or reject it with a reason.

History at the receiver: the package is kept exactly as received (:class:`ReceivedFile`) and
shown in the pupil's chronology from there, with the original dates and authors and the
sending school named on every line. Importing it as new concern records would attribute the
sender's DSL entries to the receiving DSL and half-fit other plugins' sections; the frozen
copy is faithful and hash-checked. Active vulnerability flags are carried over as real flags,
since they drive the receiving school's own work from day one.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, pupils
from core.calendar import academic_year_start, london_today
from core.db import get_in_school, system_scope, utcnow
from core.errors import NotFound, ValidationError
from core.models import Pupil, School
from core.models.pupils import FLAGS
from core.plugins import current_host
from core.policy import Actor, require
from plugins.transition import package, transfers
from plugins.transition.models import IncomingEvent, IncomingFile, ReceivedFile, TransferEvent


def _receiver(session: Session, actor: Actor, school_id: int, transfer_id: int):
    side = transfers.load(session, actor, school_id, transfer_id)
    if side.role != "receiver":
        raise NotFound("transfer")
    return side.transfer


def read_package(session: Session, actor: Actor, school_id: int, transfer_id: int
                 ) -> tuple[dict, str]:
    """The package as sent (parsed, and its hash), for either DSL team. The receiver's first
    look marks the transfer ``viewed``. Every read is audited."""
    side = transfers.load(session, actor, school_id, transfer_id)
    t = side.transfer
    if side.role == "sender":
        pkgs = transfers.packages_of(session, t)
        if not pkgs:
            raise NotFound("package")
        pkg = pkgs[-1]
    else:
        pkg = transfers.sent_package(session, t)
        if transfers.EVENTS.allows("viewed", t.status):
            transfers.add_event(session, t, "viewed", actor=actor, acting_school_id=school_id,
                              package_id=pkg.id)
    with system_scope(session, "transition: package content"):
        content = pkg.content
    audit.record(session, "transition.package_read", actor=actor, object_type="transfer",
                 object_id=t.id, school_id=school_id,
                 detail={"package_id": pkg.id, "side": side.role})
    return package.load(content), pkg.sha256


def confirm_receipt(session: Session, actor: Actor, school_id: int, transfer_id: int,
                    key: str | None = None) -> TransferEvent:
    """The receiving DSL confirms the file arrived: who and when is the KCSIE confirmation."""
    t = _receiver(session, actor, school_id, transfer_id)
    if (ev := transfers.replayed(session, t, key)) is not None:
        return ev
    transfers.EVENTS.require_status("receipt_confirmed", t.status)
    pkg = transfers.sent_package(session, t)
    return transfers.add_event(session, t, "receipt_confirmed", actor=actor,
                             acting_school_id=school_id, package_id=pkg.id, key=key,
                             data={"sha256": pkg.sha256})


def reject(session: Session, actor: Actor, school_id: int, transfer_id: int, reason: str,
           key: str | None = None) -> TransferEvent:
    """The receiving DSL refuses the file (the pupil is not joining them...), saying why."""
    t = _receiver(session, actor, school_id, transfer_id)
    if (ev := transfers.replayed(session, t, key)) is not None:
        return ev
    return transfers.add_event(session, t, "rejected", actor=actor, acting_school_id=school_id,
                             reason=reason, key=key)


def accept(session: Session, actor: Actor, school_id: int, transfer_id: int, *,
           on_roll_from: dt.date | None = None, year_group: int | None = None,
           key: str | None = None) -> ReceivedFile:
    """Accept a confirmed file: the pupil appears on this school's roll, transferred in from
    the sender, with the history. One transaction; a retry returns the first result."""
    t = _receiver(session, actor, school_id, transfer_id)
    pkg = transfers.sent_package(session, t)
    done = session.scalar(select(ReceivedFile).where(ReceivedFile.school_id == school_id,
                                                     ReceivedFile.package_sha256 == pkg.sha256))
    if done is not None:
        return done
    transfers.EVENTS.require_status("accepted", t.status)
    with system_scope(session, "transition: package content"), session.no_autoflush:
        content = pkg.content
        sender = session.get(School, t.school_id)
    received = receive_file(session, actor, school_id, content=content, sha256=pkg.sha256,
                            source="trust", sender_urn=sender.urn, sender_name=sender.name,
                            transfer_id=t.id, sender_pupil_id=t.pupil_id,
                            on_roll_from=on_roll_from, year_group=year_group)
    transfers.add_event(session, t, "accepted", actor=actor, acting_school_id=school_id,
                      package_id=pkg.id, key=key, data={"receiving_pupil_id": received.pupil_id})
    return received


def _year_group(body: dict, on_roll_from: dt.date) -> int:
    """The sender's year group, moved up one when the pupil starts in a later school year
    (a Year 6 leaver in July joins Year 7 in September)."""
    yg = int(body["pupil"]["year_group"])
    left = dt.date.fromisoformat(body["leaving_date"])
    if academic_year_start(on_roll_from) > academic_year_start(left):
        yg += academic_year_start(on_roll_from) - academic_year_start(left)
    return min(yg, 14)


def receive_file(session: Session, actor: Actor | None, school_id: int, *, content: str,
                 sha256: str, source: str, sender_urn: str, sender_name: str,
                 transfer_id: int | None = None, sender_pupil_id: int | None = None,
                 bundle_sha256: str | None = None, receipt: dict | None = None,
                 on_roll_from: dt.date | None = None, year_group: int | None = None
                 ) -> ReceivedFile:
    """Put the pupil on the roll (or link the record already there with the same UPN), carry
    the active flags over and keep the file as received. ``actor`` None is the CLI."""
    if actor is not None:
        require(actor, "transfer.handle", school_id)
    body = package.load(content)
    if package.sha256(content.encode("utf-8")) != sha256:
        raise ValidationError({"package": ["does not match its hash: refused"]})
    p = body["pupil"]
    start = on_roll_from or london_today()
    pupil = None
    if p.get("upn"):
        pupil = session.scalar(select(Pupil).where(Pupil.school_id == school_id,
                                                   Pupil.upn == p["upn"]))
    if pupil is None:
        pupil = pupils.add_pupil(
            session, None, school_id, first_name=p["first_name"], last_name=p["last_name"],
            preferred_name=p.get("preferred_name"),
            date_of_birth=dt.date.fromisoformat(p["date_of_birth"]),
            gender=p.get("gender") or "U",
            year_group=year_group if year_group is not None else _year_group(body, start),
            on_roll_from=start, upn=p.get("upn"), address=p.get("address"),
            transferred_from_id=sender_pupil_id)
    elif pupil.transferred_from_id is None and sender_pupil_id is not None:
        pupil.transferred_from_id = sender_pupil_id
    for section in body["sections"]:
        if section["plugin"] != "core":
            continue
        for f in section["data"].get("flags", []):
            if f.get("flag") in FLAGS and not f.get("end"):
                note = f"carried over from {sender_name}" + (f": {f['note']}" if f.get("note")
                                                             else "")
                pupils.set_flag(session, None, school_id, pupil.id, f["flag"],
                                dt.date.fromisoformat(f["start"]), note[:300])
    row = ReceivedFile(school_id=school_id, pupil_id=pupil.id, source=source,
                       transfer_id=transfer_id, sender_urn=sender_urn,
                       sender_name=sender_name[:200], content=content, package_sha256=sha256,
                       bundle_sha256=bundle_sha256, receipt=receipt, received_at=utcnow(),
                       received_by_id=actor.user_id if actor else None)
    session.add(row)
    session.flush()
    _settle_incoming(session, school_id, pupil.id, actor, source)
    audit.record(session, "transition.file_received", actor=actor, object_type="pupil",
                 object_id=pupil.id, school_id=school_id,
                 detail={"source": source, "sender_urn": sender_urn, "sha256": sha256})
    current_host().call_for_school(session, school_id, "mat_pupil_event", pupil_id=pupil.id,
                                   event="transferred_in",
                                   data={"from_urn": sender_urn, "package_sha256": sha256})
    return row


def _settle_incoming(session: Session, school_id: int, pupil_id: int, actor: Actor | None,
                     source: str) -> None:
    """A file awaited on the "no file yet" list has arrived."""
    inc = session.scalar(select(IncomingFile).where(IncomingFile.school_id == school_id,
                                                    IncomingFile.pupil_id == pupil_id))
    if inc is not None and inc.received_at is None:
        inc.received_at = utcnow()
        session.add(IncomingEvent(school_id=school_id, trust_id=inc.trust_id, incoming_id=inc.id,
                                  kind="received", method=source,
                                  note="received through the platform",
                                  user_id=actor.user_id if actor else None))
        session.flush()


def received_files(session: Session, school_id: int, pupil_id: int) -> list[ReceivedFile]:
    return list(session.scalars(select(ReceivedFile).where(
        ReceivedFile.school_id == school_id, ReceivedFile.pupil_id == pupil_id)
        .order_by(ReceivedFile.received_at)))


def read_received(session: Session, actor: Actor, school_id: int, received_id: int
                  ) -> tuple[ReceivedFile, dict]:
    """A received file, for the receiving school's DSLs. Audited."""
    require(actor, "transfer.handle", school_id)
    row = get_in_school(session, ReceivedFile, received_id, school_id, "received file")
    audit.record(session, "transition.received_read", actor=actor, object_type="received_file",
                 object_id=row.id, school_id=school_id)
    return row, package.load(row.content)
