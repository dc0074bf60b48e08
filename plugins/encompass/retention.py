"""How long police notifications are kept, their destruction, and a pupil's notifications in a
subject access export (the hooks of core.plugin_records).

A notification is child-protection information about the children it names, so it is kept as
their child-protection file is: from the child's date of birth. A notification naming another
pupil of the platform as well stays until that pupil's file goes too (as a shared concern)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import hookimpl
from core.db import Base, SchoolScoped, school_key, utcnow
from core.errors import ValidationError
from core.calendar import uk_date
from core.models import Pupil, User
from core.plugin_records import HeldRecords, RecordType, SubjectAccessItem, SubjectAccessSection
from core.retention import review_date
from plugins.encompass.definition import NAME
from plugins.encompass.models import (EncompassChild, EncompassDocument, EncompassNotification,
                                      EncompassStep, EncompassUpdate)



class DestroyedNotification(SchoolScoped, Base):
    """A notification whose content a destruction (core's tombstone) removed. The append-only
    triggers of notifications, their updates and their steps allow exactly one change: the
    blanking of a notification a row here names (migration enc0003); every other change and
    every DELETE stays refused. The tombstone (core's ``destructions``) lists the same ids.
    Kept here, beside the destruction that writes it."""

    __tablename__ = "encompass_destroyed_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    destroyed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    notification_id: Mapped[int] = school_key("encompass_notifications", unique=True)


NOTIFICATIONS = f"{NAME}.notifications"
SOURCE = ("IRMS Information Management Toolkit for Schools, retention guidelines: child "
          "protection files, date of birth of the child + 25 years, then review. The "
          "platform's reading: a police notification is part of the child's child-protection "
          "file")
TYPES = [RecordType(NAME, NOTIFICATIONS, "Police notifications (Operation Encompass)",
                    "the notifications naming the pupil, their updates, the response's steps "
                    "and the documents received", 25, 25, SOURCE, "the date of birth")]
STEP_TITLES = {"received": "Received", "updated": "Updated", "matched": "Matched to the roll",
               "acknowledged": "Acknowledged", "support": "Support given",
               "follow_up": "Follow-up", "dsl_review": "DSL review", "closed": "Closed",
               "reopened": "Reopened"}


def _notification_ids(session: Session, school_id: int, pupil_id: int) -> list[int]:
    return list(session.scalars(select(EncompassChild.notification_id).where(
        EncompassChild.school_id == school_id, EncompassChild.pupil_id == pupil_id).distinct()))


@hookimpl
def mat_retention_record_types():
    return TYPES


@hookimpl
def mat_retention_records(session: Session, school_id: int, years: dict, today: dt.date,
                          pupil_ids):
    """Per pupil named: the notifications held about them, due 25 years after their birth."""
    n = years[NOTIFICATIONS]
    live = (EncompassNotification.summary.is_not(None)
            | EncompassNotification.child_words.is_not(None)
            | EncompassNotification.officer_name.is_not(None))
    query = (select(Pupil.id, Pupil.first_name, Pupil.last_name, Pupil.date_of_birth,
                    func.count(func.distinct(EncompassChild.notification_id)))
             .join(EncompassChild, EncompassChild.pupil_id == Pupil.id)
             .join(EncompassNotification,
                   EncompassNotification.id == EncompassChild.notification_id)
             .where(EncompassChild.school_id == school_id, live)
             .group_by(Pupil.id, Pupil.first_name, Pupil.last_name, Pupil.date_of_birth))
    if pupil_ids is not None:
        query = query.where(Pupil.id.in_(pupil_ids))
    out = []
    for pid, first, last, born, held in session.execute(query):
        day = review_date(born, n)
        out.append(HeldRecords(NAME, NOTIFICATIONS, f"pupil:{pid}", f"{first} {last}", day,
                               held if day <= today else 0, held))
    return out


@hookimpl
def mat_retention_destroy(session: Session, school_id: int, record_type: str, subject: str,
                          years: dict, today: dt.date):
    """Blank what the police and the school wrote (the rows, dates and kinds stay, as the
    notification's deadline figures count them); a notification that also names another
    pupil of the platform is kept and listed."""
    if record_type != NOTIFICATIONS:
        return None
    pupil_id = int(subject.split(":", 1)[1])
    ids = _notification_ids(session, school_id, pupil_id)
    shared = set(session.scalars(select(EncompassChild.notification_id).where(
        EncompassChild.notification_id.in_(ids), EncompassChild.pupil_id.is_not(None),
        EncompassChild.pupil_id != pupil_id)))
    mine = sorted(set(ids) - shared)
    if not mine:
        raise ValidationError({"record_type": [
            "only notifications naming another pupil too remain: they go with that file"]})
    # the marker rows say which notifications the triggers may let be blanked
    session.add_all(DestroyedNotification(school_id=school_id, notification_id=i) for i in mine)
    session.flush()
    quiet = {"synchronize_session": False}
    session.execute(update(EncompassNotification).where(EncompassNotification.id.in_(mine))
                    .values(summary=None, child_words=None, incident_place=None,
                            officer_name=None, officer_contact=None, link_reason=None),
                    execution_options=quiet)
    session.execute(update(EncompassChild).where(EncompassChild.notification_id.in_(mine))
                    .values(first_name="", last_name="", date_of_birth=None, address=None,
                            candidates=[]), execution_options=quiet)
    session.execute(update(EncompassUpdate).where(EncompassUpdate.notification_id.in_(mine))
                    .values(changes={}, children_added=[]), execution_options=quiet)
    steps = session.execute(update(EncompassStep).where(EncompassStep.notification_id.in_(mine))
                            .values(body="", support=[]), execution_options=quiet).rowcount
    docs = session.execute(update(EncompassDocument)
                           .where(EncompassDocument.notification_id.in_(mine))
                           .values(filename="", data=b"", parsed={}),
                           execution_options=quiet).rowcount
    session.expire_all()
    return {"notifications": mine, "steps": steps, "documents": docs,
            "kept_shared": sorted(shared)}


def _names(session: Session, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {i: name for i, name in session.execute(select(User.id, User.name)
                                                   .where(User.id.in_(ids)))}


@hookimpl
def mat_subject_access(session: Session, school_id: int, pupil_id: int):
    """Each notification naming the pupil (what the police wrote, the other children named,
    the officer) and each step of the school's response."""
    ids = _notification_ids(session, school_id, pupil_id)
    if not ids:
        return []
    notes = list(session.scalars(select(EncompassNotification).where(
        EncompassNotification.id.in_(ids)).order_by(EncompassNotification.received_at)))
    children = list(session.scalars(select(EncompassChild).where(
        EncompassChild.notification_id.in_(ids), EncompassChild.pupil_id.is_distinct_from(
            pupil_id))))
    steps = list(session.scalars(select(EncompassStep).where(
        EncompassStep.notification_id.in_(ids)).order_by(EncompassStep.at)))
    names = _names(session, [n.recorded_by_id for n in notes] + [s.author_id for s in steps])
    items = []
    for n in notes:
        people = [{"key": f"{NAME}:officer:{n.id}", "kind": "other",
                   "name": n.officer_name, "role": "Police officer"}] if n.officer_name else []
        for c in children:
            if c.notification_id == n.id and (c.first_name or c.last_name):
                people.append({"key": f"pupil:{c.pupil_id}" if c.pupil_id
                               else f"{NAME}:child:{c.id}", "kind": "pupil",
                               "name": f"{c.first_name} {c.last_name}".strip()})
        if n.recorded_by_id:
            people.append({"key": f"staff:{n.recorded_by_id}", "kind": "staff",
                           "name": names.get(n.recorded_by_id, "")})
        text = "\n".join(x for x in (
            f"Incident on {uk_date(n.incident_date)}"
            + (f" at {n.incident_place}" if n.incident_place else ""),
            n.summary or "", f"Child's words: \"{n.child_words}\"" if n.child_words else "",
            f"Officer: {n.officer_name}" if n.officer_name else "") if x)
        items.append(SubjectAccessItem(f"{NAME}:notification:{n.id}", n.received_at,
                                       "Police notification (Operation Encompass)", text,
                                       people))
    for s in steps:
        author = names.get(s.author_id, "")
        people = [{"key": f"staff:{s.author_id}", "kind": "staff", "name": author}] \
            if s.author_id else []
        items.append(SubjectAccessItem(
            f"{NAME}:step:{s.id}", s.at, STEP_TITLES.get(s.kind, s.kind)
            + (f" by {author}" if author else ""), s.body, people))
    return [SubjectAccessSection(NAME, "Police notifications (Operation Encompass)", items)]

