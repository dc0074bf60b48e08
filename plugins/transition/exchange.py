"""Outside the trust: export the package as an encrypted bundle with a one-time passphrase
and a one-time, expiring download link; import a bundle on another instance and give back a
signed receipt; record that receipt at the sender."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.db import get_in_school, system_scope, utcnow
from core.errors import NotFound, ValidationError
from core.models import Pupil, School
from core.plugins import current_host
from core.policy import Actor, require
from core.schools import trust_setting
from plugins.transition import bundle, package, receiving, transfers
from plugins.transition.definition import NAME
from plugins.transition.models import DownloadLink, ReceivedFile, TransferBundle, TransferEvent

LINK_DEFAULT = {"days": 7}


class LinkRefused(Exception):
    """A download link that cannot be used: the message says why."""


@dataclass
class Export:
    bundle: TransferBundle
    passphrase: str | None  # shown once; None when a retried request found the first export
    token: str | None
    expires_at: dt.datetime | None


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def export_bundle(session: Session, actor: Actor, school_id: int, transfer_id: int,
                  key: str | None = None) -> Export:
    """Seal the latest package for a school outside the trust (or resend it: a new
    passphrase and link; earlier links stop working). The passphrase and link are returned
    once and never stored."""
    t = transfers.load(session, actor, school_id, transfer_id)
    if t.role != "sender":
        raise NotFound("transfer")
    t = t.transfer
    if (ev := transfers.replayed(session, t, key)) is not None:
        return Export(session.get(TransferBundle, ev.data["bundle_id"]), None, None, None)
    if t.status not in ("prepared", "failed", "sent", "viewed") or \
            (t.status in ("sent", "viewed") and t.route != "bundle"):
        raise ValidationError({"status": ["prepare the file before exporting it"]})
    kind = "sent" if t.status in ("prepared", "failed") else "resent"
    pkg = transfers.packages_of(session, t)[-1]
    pupil = session.get(Pupil, t.pupil_id)
    sender = session.get(School, school_id)
    now = utcnow()
    passphrase = bundle.new_passphrase()
    data, header, receipt_key = bundle.seal(
        pkg.content.encode("utf-8"), passphrase, sender_urn=sender.urn,
        destination_urn=t.destination_urn, upn=pupil.upn, created_at=now)
    b = TransferBundle(school_id=school_id, trust_id=t.trust_id, transfer_id=t.id,
                       package_id=pkg.id, header=header, data=data,
                       sha256=package.sha256(data), receipt_key=receipt_key, created_at=now,
                       created_by_id=actor.user_id)
    session.add(b)
    session.flush()
    for old in session.scalars(select(DownloadLink).where(
            DownloadLink.transfer_id == t.id, DownloadLink.school_id == school_id,
            DownloadLink.used_at.is_(None), DownloadLink.revoked_at.is_(None))):
        old.revoked_at = now
    days = int(trust_setting(session, t.trust_id, "transition_link", LINK_DEFAULT)["days"])
    token = secrets.token_urlsafe(32)
    link = DownloadLink(school_id=school_id, trust_id=t.trust_id, transfer_id=t.id,
                        bundle_id=b.id, token_hash=_hash_token(token),
                        expires_at=now + dt.timedelta(days=days))
    session.add(link)
    t.route = "bundle"
    session.flush()
    transfers.add_event(session, t, kind, actor=actor, acting_school_id=school_id,
                      package_id=pkg.id, key=key,
                      data={"route": "bundle", "bundle_id": b.id, "bundle_sha256": b.sha256,
                            "link_expires": link.expires_at.isoformat()})
    return Export(b, passphrase, token, link.expires_at)


def sent_bundle(session: Session, actor: Actor, school_id: int, transfer_id: int,
                bundle_id: int) -> TransferBundle:
    """One exported bundle of a transfer, for the sending school's DSLs only. Audited."""
    side = transfers.load(session, actor, school_id, transfer_id)
    if side.role != "sender":
        raise NotFound("bundle")
    b = get_in_school(session, TransferBundle, bundle_id, school_id, "bundle")
    if b.transfer_id != transfer_id:
        raise NotFound("bundle")
    audit.record(session, "transition.bundle_read", actor=actor, object_type="transfer",
                 object_id=transfer_id, school_id=school_id, detail={"bundle_id": b.id})
    return b


def _link(session: Session, token: str) -> DownloadLink:
    with system_scope(session, "transition: one-time link lookup"):
        link = session.scalar(select(DownloadLink).where(
            DownloadLink.token_hash == _hash_token(token or "")))
        live = link is not None and current_host().is_enabled(session, link.school_id, NAME)
    if not live:
        raise LinkRefused("This download link is not valid. Ask the sending school for a new "
                          "one.")
    now = utcnow()
    if link.used_at is not None:
        raise LinkRefused(f"This link was already used on {link.used_at:%d %B %Y at %H:%M} "
                          "UTC and works only once. Ask the sending school for a new one.")
    if link.revoked_at is not None:
        raise LinkRefused("This link was replaced by a newer one from the sending school.")
    if now >= link.expires_at:
        raise LinkRefused(f"This link expired on {link.expires_at:%d %B %Y}. Ask the sending "
                          "school to send the file again.")
    return link


def check_link(session: Session, token: str) -> DownloadLink:
    """The link if it may still be used; :class:`LinkRefused` with the reason otherwise."""
    return _link(session, token)


def take_link(session: Session, token: str) -> tuple[bytes, str]:
    """Use a link (once): the bundle bytes and a file name. Marks the transfer viewed."""
    link = _link(session, token)
    with system_scope(session, "transition: one-time link download"):
        link.used_at = utcnow()
        b = session.get(TransferBundle, link.bundle_id)
        t = session.get(transfers.Transfer, link.transfer_id)
        data = b.data
        session.flush()
    if transfers.EVENTS.allows("viewed", t.status):
        transfers.add_event(session, t, "viewed", actor=None, acting_school_id=None,
                          data={"via": "download link"})
    audit.record(session, "transition.link_used", object_type="transfer", object_id=t.id,
                 school_id=t.school_id, detail={"link_id": link.id})
    return data, f"transfer-{b.header['sender_urn']}-{b.sha256[:12]}.matbundle"


# --- the receiving instance -------------------------------------------------------------------

def import_bundle(session: Session, actor: Actor | None, data: bytes, passphrase: str, *,
                  school_id: int | None = None, received_by: str | None = None,
                  on_roll_from: dt.date | None = None) -> ReceivedFile:
    """Import a bundle from another instance into the destination school it names: the pupil
    joins the roll, transferred in, with the file. The receipt is kept on the row. Importing
    the same bundle again returns the first import (nothing is applied twice)."""
    try:
        header, content, mac_key = bundle.open_bundle(data, passphrase)
    except bundle.BundleError as exc:
        raise ValidationError({"bundle": [str(exc)]}) from None
    with system_scope(session, "transition: bundle destination"):
        dest = session.scalar(select(School).where(School.urn == header["destination_urn"]))
    if dest is None or (school_id is not None and dest.id != school_id):
        raise ValidationError({"bundle": [f"this file is for the school with URN "
                                          f"{header['destination_urn']}, not this one"]})
    if actor is not None:
        require(actor, "transfer.handle", dest.id)
    body = package.load(content)
    sha = package.sha256(content)
    if bundle.upn_hash(body["pupil"].get("upn")) != header.get("upn_sha256"):
        raise ValidationError({"bundle": ["the pupil inside does not match the bundle's "
                                          "header: refused"]})
    done = session.scalar(select(ReceivedFile).where(ReceivedFile.school_id == dest.id,
                                                     ReceivedFile.package_sha256 == sha))
    if done is not None:
        return done
    now = utcnow()
    receipt = bundle.make_receipt(header, sha, package.sha256(data), mac_key,
                                  receiving_school=f"{dest.name} (URN {dest.urn})",
                                  received_by=received_by or (actor.name if actor else ""),
                                  received_at=now)
    return receiving.receive_file(
        session, actor, dest.id, content=content.decode("utf-8"), sha256=sha, source="bundle",
        sender_urn=header["sender_urn"], sender_name=body["from"]["name"],
        bundle_sha256=package.sha256(data), receipt=receipt, on_roll_from=on_roll_from)


def record_receipt(session: Session, actor: Actor, school_id: int, transfer_id: int,
                   raw: bytes | str, key: str | None = None) -> TransferEvent:
    """The sender records the receipt the receiving instance gave: checked against the
    bundle's key and the package hash, then the transfer is confirmed and accepted."""
    side = transfers.load(session, actor, school_id, transfer_id)
    if side.role != "sender":
        raise NotFound("transfer")
    t = side.transfer
    if (ev := transfers.replayed(session, t, key)) is not None:
        return ev
    try:
        receipt = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError({"receipt": ["is not a receipt file (not JSON)"]}) from None
    b = session.scalar(select(TransferBundle).where(
        TransferBundle.transfer_id == t.id, TransferBundle.school_id == school_id,
        TransferBundle.sha256 == str(receipt.get("bundle_sha256") if isinstance(receipt, dict)
                                     else "")))
    if b is None:
        raise ValidationError({"receipt": ["is not for a bundle of this transfer"]})
    try:
        bundle.check_receipt(receipt, b.receipt_key)
    except bundle.BundleError as exc:
        raise ValidationError({"receipt": [str(exc)]}) from None
    pkg = transfers.sent_package(session, t)
    if receipt["package_sha256"] != pkg.sha256:
        raise ValidationError({"receipt": ["confirms a different package from the one sent"]})
    if t.status not in ("sent", "viewed", "receipt_confirmed"):
        raise ValidationError({"status": [f"a {t.status.replace('_', ' ')} transfer cannot "
                                          "take a receipt"]})
    detail = {"receipt_sha256": receipt["receipt_sha256"],
              "confirmed_by": receipt["received_by"], "receiving_school":
              receipt["receiving_school"], "received_at": receipt["received_at"]}
    if t.status != "receipt_confirmed":
        transfers.add_event(session, t, "receipt_confirmed", actor=actor,
                          acting_school_id=school_id, package_id=pkg.id, data=detail)
    return transfers.add_event(session, t, "accepted", actor=actor, acting_school_id=school_id,
                             package_id=pkg.id, key=key, data={**detail, "receipt": receipt})
