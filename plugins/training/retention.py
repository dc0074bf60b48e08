"""How long staff training records are kept after someone leaves, and their destruction (the
hooks of core.plugin_records). Training records are about staff, never pupils: they are
listed apart from the pupils on the "due for review" list and are in no pupil's subject access
export."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core import hookimpl
from core.plugin_records import HeldRecords, RecordType
from core.retention import review_date
from plugins.training.definition import NAME
from plugins.training.models import StaffMember, TrainingRecord

RECORDS = f"{NAME}.records"
SOURCE = ("IRMS Information Management Toolkit for Schools, retention guidelines, human "
          "resources: staff personnel file, termination of employment + 6 years. The "
          "platform's reading: the training records (and certificates) of a member of staff "
          "belong to that file and go with it; while someone works at the school they are kept")
TYPES = [RecordType(NAME, RECORDS, "Staff training records",
                    "the training a member of staff completed and its certificates, once they "
                    "have left", 6, 6, SOURCE, "the day the member of staff left", "staff")]


@hookimpl
def mat_retention_record_types():
    return TYPES


@hookimpl
def mat_retention_records(session: Session, school_id: int, years: dict, today: dt.date,
                          pupil_ids):
    """Per leaver: their training records, due six years after they left."""
    if pupil_ids is not None:
        return []  # nothing of a pupil's
    rows = session.execute(
        select(StaffMember.id, StaffMember.name, StaffMember.left_on, func.count())
        .join(TrainingRecord, TrainingRecord.staff_id == StaffMember.id)
        .where(StaffMember.school_id == school_id, StaffMember.left_on.is_not(None))
        .group_by(StaffMember.id, StaffMember.name, StaffMember.left_on))
    out = []
    for sid, name, left, count in rows:
        day = review_date(left, years[RECORDS])
        out.append(HeldRecords(NAME, RECORDS, f"staff:{sid}", name, day,
                               count if day <= today else 0, count))
    return out


@hookimpl
def mat_retention_destroy(session: Session, school_id: int, record_type: str, subject: str,
                          years: dict, today: dt.date):
    """Delete the leaver's training records and certificates; the staff row (name, dates)
    stays to anchor the tombstone."""
    if record_type != RECORDS:
        return None
    staff_id = int(subject.split(":", 1)[1])
    mine = (TrainingRecord.school_id == school_id, TrainingRecord.staff_id == staff_id)
    certificates = session.scalar(select(func.count()).where(
        *mine, TrainingRecord.certificate_sha256.is_not(None)))
    gone = session.execute(delete(TrainingRecord).where(*mine),
                           execution_options={"synchronize_session": False}).rowcount
    return {"training_records": gone, "certificates": certificates}
