"""What transition adds to a pupil's chronology, and the read-only rule for the sender.

At the sending school: the steps of the transfer. At the receiving school: the history that
came with the file, from the frozen package, dated as the sender recorded it and naming the
sending school on every line, and the arrival itself.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from core.calendar import uk_date
from core.chronology import ENTRY_TITLES
from core.contributions import ChronologyItem, TransferSection
from core.errors import ValidationError
from core.models import Concern, ConcernPupil
from plugins.transition import document, package, receiving
from plugins.transition.definition import NAME
from plugins.transition.models import STATUS_LABELS, Transfer, TransferEvent, TransferPackage


def _when(text: str | None, fallback: dt.datetime) -> dt.datetime:
    """A moment from the package. The platform writes UTC with its offset; a moment without
    one is taken as UTC too (as the database keeps it), so the chronology and the package
    show the same London time."""
    try:
        at = dt.datetime.fromisoformat(text) if text else fallback
    except ValueError:
        return fallback
    return at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


def chronology(session: Session, school_id: int, pupil_id: int) -> list[ChronologyItem]:
    """Transfer steps for a leaver; the received history for a pupil who transferred in."""
    items: list[ChronologyItem] = []
    t = session.scalar(select(Transfer).where(Transfer.school_id == school_id,
                                              Transfer.pupil_id == pupil_id))
    if t is not None:
        link = f"/schools/{school_id}/transition/transfers/{t.id}"
        for e in session.scalars(select(TransferEvent).where(
                TransferEvent.transfer_id == t.id, TransferEvent.school_id == school_id)):
            if e.kind in STATUS_LABELS or e.kind in ("chased", "resent"):
                label = STATUS_LABELS.get(e.kind, e.kind.title())
                items.append(ChronologyItem(
                    NAME, "transfer", e.at,
                    f"Child-protection file: {label.lower()} ({e.user_name})",
                    e.reason, link))
    for rf in receiving.received_files(session, school_id, pupil_id):
        items.extend(_received_items(school_id, rf))
    return items


def _received_items(school_id: int, rf) -> list[ChronologyItem]:
    body = package.load(rf.content)
    src = rf.sender_name
    link = f"/schools/{school_id}/transition/received/{rf.id}"
    items = [ChronologyItem(NAME, "transfer", rf.received_at,
                            f"Child-protection file received from {src}",
                            f"Package SHA-256 {rf.package_sha256}", link)]
    prepared = _when(body.get("prepared_at"), rf.received_at)
    for section in body["sections"]:
        concerns = section["data"].get("concerns") if section["plugin"] == "core" else None
        if concerns is None:
            if section["plugin"] != "core":
                items.append(ChronologyItem(NAME, "transfer:section", prepared,
                                            f"{section['title']} (from {src})",
                                            document.summary_text(section.get("text")), link))
            continue
        for c in concerns:
            at = _when(c.get("occurred_at"), prepared)
            detail = c.get("fact", "") + (f"\nChild's words: \"{c['child_words']}\""
                                          if c.get("child_words") else "")
            items.append(ChronologyItem(NAME, "transfer:concern", at,
                                        f"Concern recorded at {src} by "
                                        f"{c.get('recorded_by') or 'staff'}", detail, link))
            for e in c.get("entries", []):
                kind = str(e.get("kind") or "note")
                what = ENTRY_TITLES.get(kind, kind.replace("_", " ").capitalize())
                items.append(ChronologyItem(
                    NAME, "transfer:entry", _when(e.get("at"), at),
                    f"{what} at {src} by {e.get('author') or 'the DSL'}", e.get("body") or "",
                    link))
    return items


def refuse_entries_after_handover(session: Session, school_id: int, concern_id: int) -> None:
    """The sender's copy is read-only once the receiving school accepted the file: a concern
    that travelled in an accepted package, and whose every pupil was handed over, takes no
    new entries here (they belong with the new school). A concern recorded after the package
    was frozen is new information the DSL still has to act on, so it stays open to entries.
    Raising inside the entry's transaction undoes the entry."""
    concern = session.get(Concern, concern_id)
    pupil_ids = set(session.scalars(select(ConcernPupil.pupil_id).where(and_(
        ConcernPupil.concern_id == concern_id, ConcernPupil.school_id == school_id))))
    if concern is None or not pupil_ids:
        return
    frozen_at: dict[int, dt.datetime] = {}
    for t in session.scalars(select(Transfer).where(
            Transfer.school_id == school_id, Transfer.pupil_id.in_(pupil_ids),
            Transfer.status == "accepted")):
        accepted = session.scalar(select(TransferEvent).where(
            TransferEvent.transfer_id == t.id, TransferEvent.school_id == school_id,
            TransferEvent.kind == "accepted"))
        pkg = session.get(TransferPackage, accepted.package_id) if accepted else None
        if pkg is not None:
            frozen_at[t.pupil_id] = pkg.created_at
    if set(frozen_at) == pupil_ids and all(concern.recorded_at <= at
                                           for at in frozen_at.values()):
        raise ValidationError({"concern": [
            "this child's file was handed over to their new school, which accepted it: the "
            "record kept here is read-only. Pass anything new to the new school's DSL."]})


def earlier_files(session: Session, school_id: int, pupil_id: int) -> list[TransferSection]:
    """A pupil who moves on again takes the files received from earlier schools with them."""
    out = []
    for rf in receiving.received_files(session, school_id, pupil_id):
        body = package.load(rf.content)
        out.append(TransferSection(
            NAME, f"File received from {rf.sender_name} on {uk_date(rf.received_at)}",
            {"sender_urn": rf.sender_urn, "sender_name": rf.sender_name,
             "package_sha256": rf.package_sha256,
             "sections": [{"id": sec["id"], "title": sec["title"], "plugin": sec["plugin"],
                           "data": sec["data"], "text": sec.get("text", "")}
                          for sec in body["sections"]]},
            f"The child-protection file {rf.sender_name} sent, as received."))
    return out
