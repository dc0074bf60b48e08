"""The whole family: when a child named in a notification, or a matched child's sibling,
attends another school of the trust, that school gets a linked notification so its key
adult can support them too. Schools with the plugin off get nothing (their data is kept,
but nothing new is sent to a switched-off plugin). Siblings at the same school are added
to the notification itself, marked as not named by the police."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import Pupil, School
from core.plugins import current_host
from core.pupils import family_of

from plugins.encompass import matching
from plugins.encompass.definition import NAME
from plugins.encompass.models import EncompassChild, EncompassNotification, EncompassStep
from plugins.encompass.triage import open_concern

COPIED = ("force", "police_reference", "incident_date", "incident_time", "incident_place",
          "received_at", "summary", "officer_name", "officer_contact")


def _schools_with_plugin(session: Session, trust_id: int, but: int) -> list[int]:
    host = current_host()
    ids = session.scalars(select(School.id).where(School.trust_id == trust_id, School.id != but))
    return [sid for sid in ids if host.is_enabled(session, sid, NAME)]


def _on_roll_sibling(other, school, n: EncompassNotification) -> bool:
    return school.trust_id == n.trust_id and (other.on_roll_to is None
                                              or other.on_roll_to >= n.incident_date)


def fan_out(session: Session, n: EncompassNotification) -> list[int]:
    """Reach the family's other schools from ``n`` (system scope). Returns the ids of the
    linked notifications created or extended."""
    from plugins.encompass.intake import roll_candidates  # intake imports this module

    children = list(session.scalars(select(EncompassChild).where(
        EncompassChild.notification_id == n.id, EncompassChild.school_id == n.school_id)))
    here = {c.pupil_id for c in children if c.pupil_id}
    targets: dict[int, dict[int, tuple[str, bool]]] = {}
    others = _schools_with_plugin(session, n.trust_id, n.school_id)
    found: list[int] = []  # named children's pupil ids, here or elsewhere
    for c in children:
        if c.named and c.match == "matched" and c.pupil_id:
            found.append(c.pupil_id)
        elif c.named and c.match == "unmatched":
            hits = []
            for sid in others:
                r = matching.match_child(c.first_name, c.last_name, c.date_of_birth,
                                         roll_candidates(session, sid, n.incident_date))
                if r.state == "matched":
                    hits.append((sid, r.pupil_id))
            if len(hits) == 1:  # one sure match in the whole trust
                sid, pid = hits[0]
                c.match, c.elsewhere_school_id = "elsewhere", sid
                targets.setdefault(sid, {})[pid] = ("matched", True)
                found.append(pid)
    named_ids = set(found)
    for pid in found:
        for _link, other, school in family_of(session, pid):
            if other.id in named_ids or not _on_roll_sibling(other, school, n):
                continue
            if school.id == n.school_id:
                if other.id not in here:
                    session.add(EncompassChild(
                        school_id=n.school_id, trust_id=n.trust_id, notification_id=n.id,
                        first_name=other.first_name, last_name=other.last_name,
                        date_of_birth=other.date_of_birth, named=False, pupil_id=other.id,
                        match="sibling", candidates=[other.id], matched_at=utcnow()))
                    here.add(other.id)
            elif school.id in others:
                targets.setdefault(school.id, {}).setdefault(other.id, ("sibling", False))
    session.flush()
    if here:
        open_concern(session, n)
    return [_link_to(session, n, sid, pupils) for sid, pupils in sorted(targets.items())]


def _link_to(session: Session, n: EncompassNotification, school_id: int,
             pupils: dict[int, tuple[str, bool]]) -> int:
    """Create (or extend) the linked notification for one school of the family."""
    from plugins.encompass.intake import create

    existing = session.scalar(select(EncompassNotification).where(
        EncompassNotification.school_id == school_id,
        EncompassNotification.group_key == n.group_key))
    if existing is None and n.force_key and n.reference_key:
        existing = session.scalar(select(EncompassNotification).where(
            EncompassNotification.school_id == school_id,
            EncompassNotification.force_key == n.force_key,
            EncompassNotification.reference_key == n.reference_key))
    if existing is not None:
        held = set(session.scalars(select(EncompassChild.pupil_id).where(
            EncompassChild.notification_id == existing.id)))
        new = {pid: v for pid, v in pupils.items() if pid not in held}
        for pid, (state, named) in new.items():
            p = session.get(Pupil, pid)
            session.add(EncompassChild(
                school_id=school_id, trust_id=existing.trust_id, notification_id=existing.id,
                first_name=p.first_name, last_name=p.last_name, date_of_birth=p.date_of_birth,
                named=named, pupil_id=pid, match=state, candidates=[pid], matched_at=utcnow()))
        if new:
            session.add(EncompassStep(school_id=school_id, trust_id=existing.trust_id,
                                      notification_id=existing.id, kind="updated",
                                      body="Family members added from a linked notification"))
            session.flush()
            open_concern(session, existing)
        return existing.id
    named_here = any(named for _, named in pupils.values())
    data = {f: getattr(n, f) for f in COPIED}
    if named_here:  # only the named child's own details travel with them
        data.update(child_present=n.child_present, welfare_check=n.welfare_check,
                    child_words=n.child_words)
    origin = session.get(School, n.school_id)
    reason = ("the police named this child in a notification sent to " + origin.name
              if named_here else "a sibling of a child named in a notification sent to "
              + origin.name)
    linked = create(session, school_id, data, source="linked", group_key=n.group_key,
                    linked_from_id=n.id, link_reason=reason,
                    matched=[(pid, state, named) for pid, (state, named) in pupils.items()])
    return linked.id
