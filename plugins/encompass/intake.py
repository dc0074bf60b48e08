"""Receiving a notification, however it came (form, API, upload): recognising repeats,
matching the children to the roll, opening a concern, alerting, and reaching the family's
other schools in the trust.

Intake reads other schools' rolls and writes their linked notifications, so it runs in an
explicit, audited system scope once the caller's right to submit has been checked.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import audit
from core.db import system_scope, utcnow
from core.models import Pupil, School

from plugins.encompass import matching
from plugins.encompass.deadlines import (due_for_school, due_phrase,
                                         report_calendar_missing)
from plugins.encompass.fanout import fan_out
from plugins.encompass.models import (EncompassChild, EncompassNotification, EncompassStep,
                                      EncompassUpdate)
from plugins.encompass.notify import alert_and_mail
from plugins.encompass.triage import open_concern

DETAIL_FIELDS = ("force", "incident_date", "incident_time", "incident_place", "child_present",
                 "welfare_check", "child_words", "summary", "officer_name", "officer_contact")


@dataclass
class IntakeResult:
    notification: EncompassNotification
    created: bool
    updated: bool = False


def force_key(force: str | None) -> str | None:
    key = matching.normalise(force or "")
    return key or None


def reference_key(ref: str | None) -> str | None:
    key = "".join((ref or "").upper().split())
    return key or None


def roll_candidates(session: Session, school_id: int, on: dt.date) -> list[matching.Candidate]:
    """Pupils on the school's roll on ``on`` (or since), as matching candidates."""
    rows = session.scalars(select(Pupil).where(
        Pupil.school_id == school_id, or_(Pupil.on_roll_to.is_(None), Pupil.on_roll_to >= on)))
    return [matching.Candidate(p.id, p.first_name, p.last_name, p.preferred_name,
                               p.date_of_birth) for p in rows]


def _json(value):
    if isinstance(value, (dt.date, dt.time, dt.datetime)):
        return value.isoformat()
    return value


def _child_key(first: str, last: str, dob) -> tuple:
    return (matching.normalise(first), matching.normalise(last), dob)


def add_children(session: Session, n: EncompassNotification, children: list[dict],
                 candidates: list[matching.Candidate]) -> list[EncompassChild]:
    """Add the named children to ``n``, each matched against ``candidates``."""
    rows = []
    for c in children:
        result = matching.match_child(c["first_name"], c["last_name"], c.get("date_of_birth"),
                                      candidates)
        row = EncompassChild(school_id=n.school_id, trust_id=n.trust_id, notification_id=n.id,
                             first_name=c["first_name"].strip(), last_name=c["last_name"].strip(),
                             date_of_birth=c.get("date_of_birth"),
                             address=(c.get("address") or None), named=True,
                             pupil_id=result.pupil_id, match=result.state,
                             candidates=result.candidates,
                             matched_at=utcnow() if result.pupil_id else None)
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def receive(session: Session, school_id: int, data: dict, *, source: str,
            user_id: int | None = None, api_client_id: int | None = None) -> IntakeResult:
    """File a validated notification (see :mod:`plugins.encompass.schemas`) for a school.

    The same force and police reference again returns the existing notification; if it
    brings something new, that is recorded as an update. Callers check who may submit."""
    with system_scope(session, "encompass intake"):
        fk, rk = force_key(data.get("force")), reference_key(data.get("police_reference"))
        if fk and rk:
            existing = session.scalar(select(EncompassNotification).where(
                EncompassNotification.school_id == school_id,
                EncompassNotification.force_key == fk, EncompassNotification.reference_key == rk))
            if existing is not None:
                updated = record_update(session, existing, data, source=source,
                                        user_id=user_id, api_client_id=api_client_id)
                return IntakeResult(existing, created=False, updated=updated)
        n = create(session, school_id, data, source=source, user_id=user_id,
                   api_client_id=api_client_id)
        fan_out(session, n)
        return IntakeResult(n, created=True)


def create(session: Session, school_id: int, data: dict, *, source: str,
           user_id: int | None = None, api_client_id: int | None = None,
           group_key: str | None = None, linked_from_id: int | None = None,
           link_reason: str | None = None, children: list[dict] | None = None,
           matched: list[tuple[int, str, bool]] = ()) -> EncompassNotification:
    """Store a notification with its children, matched; open the concern; alert. ``matched``
    are (pupil id, match state, named) for a linked notification whose children are known."""
    school = session.get(School, school_id)
    received = data.get("received_at") or utcnow()
    n = EncompassNotification(
        school_id=school_id, trust_id=school.trust_id,
        force=data.get("force") or None, force_key=force_key(data.get("force")),
        police_reference=data.get("police_reference") or None,
        reference_key=reference_key(data.get("police_reference")),
        incident_date=data["incident_date"], incident_time=data.get("incident_time"),
        incident_place=data.get("incident_place") or None, received_at=received,
        child_present=data.get("child_present"), welfare_check=data.get("welfare_check"),
        child_words=data.get("child_words") or None, summary=data.get("summary") or None,
        officer_name=data.get("officer_name") or None,
        officer_contact=data.get("officer_contact") or None, source=source,
        recorded_by_id=user_id, api_client_id=api_client_id,
        due_at_on_receipt=due_for_school(session, school_id, received),
        group_key=group_key or uuid.uuid4().hex, linked_from_id=linked_from_id,
        link_reason=link_reason)
    session.add(n)
    session.flush()
    if matched:
        for pupil_id, state, named in matched:
            p = session.get(Pupil, pupil_id)
            session.add(EncompassChild(
                school_id=school_id, trust_id=n.trust_id, notification_id=n.id,
                first_name=p.first_name, last_name=p.last_name, date_of_birth=p.date_of_birth,
                named=named, pupil_id=p.id, match=state, candidates=[p.id], matched_at=utcnow()))
        session.flush()
    else:
        add_children(session, n, children if children is not None else data["children"],
                     roll_candidates(session, school_id, n.incident_date))
    session.add(EncompassStep(school_id=school_id, trust_id=n.trust_id, notification_id=n.id,
                              kind="received", author_id=user_id, at=received,
                              body=f"Received by {source}"))
    session.flush()
    open_concern(session, n)
    audit.record(session, "encompass.notification_received", object_type="encompass_notification",
                 object_id=n.id, school_id=school_id, user_id=user_id,
                 detail={"source": source, "api_client_id": api_client_id,
                         "linked_from_id": linked_from_id})
    first = session.scalar(select(EncompassChild.pupil_id).where(
        EncompassChild.notification_id == n.id, EncompassChild.pupil_id.is_not(None))
        .order_by(EncompassChild.id).limit(1))
    alert_and_mail(session, school_id, kind="encompass_notification",
                   key=f"encompass:new:{n.id}", pupil_id=first,
                   message="Operation Encompass notification received"
                           f"{' (linked: a family member at another school)' if linked_from_id else ''}"
                           f"; key adult response {due_phrase(n.due_at)}",
                   subject="Operation Encompass notification",
                   link=f"/schools/{school_id}/encompass/{n.id}")
    if n.due_at is None:
        report_calendar_missing(session, school_id)
    return n




def effective(n: EncompassNotification, updates: list[EncompassUpdate]) -> dict:
    """The notification's details with every later update laid over them, oldest first."""
    values = {f: _json(getattr(n, f)) for f in DETAIL_FIELDS}
    for u in sorted(updates, key=lambda u: (u.received_at, u.id)):
        values.update(u.changes)
    return values


def record_update(session: Session, n: EncompassNotification, data: dict, *, source: str,
                  user_id: int | None = None, api_client_id: int | None = None) -> bool:
    """Compare a repeated notification with what is held; record what it adds or changes
    (a field left out of the repeat is not taken as erased). Returns whether it added
    anything."""
    updates = list(session.scalars(select(EncompassUpdate).where(
        EncompassUpdate.notification_id == n.id)))
    held = effective(n, updates)
    # the force is how the repeat was recognised: a different spelling of it is no news
    changes = {f: _json(data[f]) for f in DETAIL_FIELDS if f != "force"
               and data.get(f) not in (None, "") and _json(data[f]) != held.get(f)}
    known = {_child_key(c.first_name, c.last_name, c.date_of_birth) for c in session.scalars(
        select(EncompassChild).where(EncompassChild.notification_id == n.id))}
    new_children = [c for c in data.get("children", [])
                    if _child_key(c["first_name"], c["last_name"], c.get("date_of_birth"))
                    not in known]
    if not changes and not new_children:
        return False
    upd = EncompassUpdate(school_id=n.school_id, trust_id=n.trust_id, notification_id=n.id,
                          received_at=data.get("received_at") or utcnow(), source=source,
                          changes=changes, recorded_by_id=user_id, api_client_id=api_client_id,
                          children_added=[{k: _json(v) for k, v in c.items()}
                                          for c in new_children])
    session.add(upd)
    session.flush()
    if new_children:
        add_children(session, n, new_children, roll_candidates(session, n.school_id,
                                                               n.incident_date))
        open_concern(session, n)
    what = ", ".join(sorted(changes)) + (", children named" if new_children else "")
    session.add(EncompassStep(school_id=n.school_id, trust_id=n.trust_id, notification_id=n.id,
                              kind="updated", author_id=user_id,
                              body=f"Later version received ({source}): {what.strip(', ')}"))
    session.flush()
    audit.record(session, "encompass.notification_updated", object_type="encompass_notification",
                 object_id=n.id, school_id=n.school_id, user_id=user_id,
                 detail={"update_id": upd.id, "fields": sorted(changes)})
    alert_and_mail(session, n.school_id, kind="encompass_update",
                   key=f"encompass:update:{upd.id}",
                   message="An Operation Encompass notification was updated by the police",
                   subject="Operation Encompass update",
                   link=f"/schools/{n.school_id}/encompass/{n.id}")
    if new_children:
        fan_out(session, n)
    return True
