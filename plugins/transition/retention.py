"""How long transfer files are kept, their destruction, and a pupil's transfers in a subject
access export (the hooks of core.plugin_records).

A transfer package is the child-protection file as it was sent (by this school) or received
(from the previous one), so it is kept as the file is: from the child's date of birth. The
transfer's row, its events and the hashes stay after destruction: they are the record that
the file was handed over, when and to whom."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, union_all, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import hookimpl
from core.db import Base, SchoolScoped, utcnow
from core.calendar import uk_date
from core.models import Pupil, User
from core.plugin_records import HeldRecords, RecordType, SubjectAccessItem, SubjectAccessSection
from core.retention import review_date
from plugins.transition.definition import NAME
from plugins.transition.models import (IncomingEvent, IncomingFile, ReceivedFile, Transfer,
                                       TransferBundle, TransferPackage)



class DestroyedFiles(SchoolScoped, Base):
    """A pupil whose transfer files a destruction emptied. The append-only triggers of
    packages, bundles, received files and imported documents allow exactly one change: the
    emptying of a row about a pupil a row here names for that school (migration tr0003); every
    other change and every DELETE stays refused. Kept here, beside the destruction."""

    __tablename__ = "transition_destroyed_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(index=True)  # pinned to the pupil's school
    destroyed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


FILES = f"{NAME}.files"
SOURCE = ("IRMS Information Management Toolkit for Schools, retention guidelines: child "
          "protection files, date of birth of the child + 25 years, then review. The "
          "platform's reading: a transfer package, sent or received, is a copy of the child's "
          "child-protection file and is kept as the file is")
TYPES = [RecordType(NAME, FILES, "Transfer files",
                    "the child-protection files sent to the next school or received from the "
                    "previous one (packages, bundles, files imported)", 25, 25, SOURCE,
                    "the date of birth")]


@hookimpl
def mat_retention_record_types():
    return TYPES


def _held_counts(school_id: int, pupil_ids):
    """(pupil id, packages or files with content) for the school's sent and received files."""
    sent = (select(Transfer.pupil_id.label("pupil_id"), TransferPackage.id.label("ref"))
            .join(TransferPackage, TransferPackage.transfer_id == Transfer.id)
            .where(Transfer.school_id == school_id, TransferPackage.content != ""))
    got = (select(ReceivedFile.pupil_id.label("pupil_id"), ReceivedFile.id.label("ref"))
           .where(ReceivedFile.school_id == school_id, ReceivedFile.content != ""))
    if pupil_ids is not None:
        sent = sent.where(Transfer.pupil_id.in_(pupil_ids))
        got = got.where(ReceivedFile.pupil_id.in_(pupil_ids))
    return union_all(sent, got).subquery()


@hookimpl
def mat_retention_records(session: Session, school_id: int, years: dict, today: dt.date,
                          pupil_ids):
    held = _held_counts(school_id, pupil_ids)
    rows = session.execute(select(Pupil.id, Pupil.first_name, Pupil.last_name,
                                  Pupil.date_of_birth, func.count())
                           .join(held, held.c.pupil_id == Pupil.id)
                           .group_by(Pupil.id, Pupil.first_name, Pupil.last_name,
                                     Pupil.date_of_birth))
    out = []
    for pid, first, last, born, count in rows:
        day = review_date(born, years[FILES])
        out.append(HeldRecords(NAME, FILES, f"pupil:{pid}", f"{first} {last}", day,
                               count if day <= today else 0, count))
    return out


@hookimpl
def mat_retention_destroy(session: Session, school_id: int, record_type: str, subject: str,
                          years: dict, today: dt.date):
    """Empty the packages, bundles and received files (content, covering note, bytes); the
    rows, their hashes and the transfer's events stay as the record of the handover."""
    if record_type != FILES:
        return None
    pupil_id = int(subject.split(":", 1)[1])
    session.add(DestroyedFiles(school_id=school_id, pupil_id=pupil_id))
    session.flush()  # the triggers let this pupil's files be emptied from here on
    quiet = {"synchronize_session": False}
    transfers = select(Transfer.id).where(Transfer.school_id == school_id,
                                          Transfer.pupil_id == pupil_id)
    packages = session.execute(update(TransferPackage).where(
        TransferPackage.transfer_id.in_(transfers), TransferPackage.content != "")
        .values(content="", covering_note=""), execution_options=quiet).rowcount
    bundles = session.execute(update(TransferBundle).where(
        TransferBundle.transfer_id.in_(transfers), func.length(TransferBundle.data) > 0)
        .values(data=b""),
        execution_options=quiet).rowcount
    received = session.execute(update(ReceivedFile).where(
        ReceivedFile.school_id == school_id, ReceivedFile.pupil_id == pupil_id,
        ReceivedFile.content != "").values(content=""), execution_options=quiet).rowcount
    incoming = select(IncomingFile.id).where(IncomingFile.school_id == school_id,
                                             IncomingFile.pupil_id == pupil_id)
    imported = session.execute(update(IncomingEvent).where(
        IncomingEvent.incoming_id.in_(incoming), IncomingEvent.data.is_not(None))
        .values(data=None), execution_options=quiet).rowcount
    session.expire_all()
    return {"packages": packages, "bundles": bundles, "received_files": received,
            "imported_documents": imported}


@hookimpl
def mat_subject_access(session: Session, school_id: int, pupil_id: int):
    """Each transfer of the pupil's file from this school (where, when, its state) and each
    file received about them, with the file as it arrived."""
    items = []
    for t in session.scalars(select(Transfer).where(Transfer.school_id == school_id,
                                                    Transfer.pupil_id == pupil_id)):
        versions = session.scalars(select(TransferPackage.version).where(
            TransferPackage.transfer_id == t.id).order_by(TransferPackage.version)).all()
        people = []
        if t.created_by_id:
            name = session.scalar(select(User.name).where(User.id == t.created_by_id)) or ""
            people.append({"key": f"staff:{t.created_by_id}", "kind": "staff", "name": name})
        items.append(SubjectAccessItem(
            f"{NAME}:transfer:{t.id}", t.created_at,
            f"Child-protection file to {t.destination_name or t.destination_urn}",
            f"Leaving on {uk_date(t.leaving_date)}; state: {t.status}; "
            f"package versions built: {len(versions)}.", people))
    for f in session.scalars(select(ReceivedFile).where(ReceivedFile.school_id == school_id,
                                                        ReceivedFile.pupil_id == pupil_id)):
        items.append(SubjectAccessItem(
            f"{NAME}:received:{f.id}", f.received_at,
            f"Child-protection file received from {f.sender_name}",
            f.content or "(the content was destroyed at the end of its retention)"))
    return [SubjectAccessSection(NAME, "Transfers of the child-protection file", items)] \
        if items else []
