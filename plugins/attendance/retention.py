"""How long attendance registers are kept, their destruction, and a pupil's registers in a
subject access export (the hooks of core.plugin_records)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from core import hookimpl
from core.calendar import academic_year_start, uk_date
from core.models import Pupil
from core.plugin_records import HeldRecords, RecordType, SubjectAccessItem, SubjectAccessSection
from core.retention import review_date
from plugins.attendance.definition import NAME
from plugins.attendance.models import AttendanceWeek
from plugins.attendance.weeks import decode

REGISTERS = f"{NAME}.registers"
SOURCE = ("IRMS Information Management Toolkit for Schools, retention guidelines, pupils: "
          "attendance registers, every entry kept 3 years from the date it was made (the "
          "Education (Pupil Registration) (England) Regulations 2006, regulation 14, now the "
          "2024 regulations). The platform's reading: a week's marks are one entry, counted "
          "from the last day of that week")
TYPES = [RecordType(NAME, REGISTERS, "Attendance registers",
                    "each week's register marks of the pupil", 3, 3, SOURCE,
                    "the last day of the register's week")]


def _due_by(years: int, today: dt.date) -> dt.date:
    """The latest week start whose week ended ``years`` or more before ``today``."""
    return review_date(today, -years) - dt.timedelta(days=6)


@hookimpl
def mat_retention_record_types():
    return TYPES


@hookimpl
def mat_retention_records(session: Session, school_id: int, years: dict, today: dt.date,
                          pupil_ids):
    """Per pupil: the registers held, the oldest week's review date, how many weeks are due."""
    n = years[REGISTERS]
    query = (select(AttendanceWeek.pupil_id, Pupil.first_name, Pupil.last_name,
                    func.min(AttendanceWeek.week_start), func.count(),
                    func.sum(case((AttendanceWeek.week_start <= _due_by(n, today), 1), else_=0)))
             .join(Pupil, Pupil.id == AttendanceWeek.pupil_id)
             .where(AttendanceWeek.school_id == school_id)
             .group_by(AttendanceWeek.pupil_id, Pupil.first_name, Pupil.last_name))
    if pupil_ids is not None:
        query = query.where(AttendanceWeek.pupil_id.in_(pupil_ids))
    return [HeldRecords(NAME, REGISTERS, f"pupil:{pid}", f"{first} {last}",
                        review_date(first_week + dt.timedelta(days=6), n), int(due or 0), held)
            for pid, first, last, first_week, held, due in session.execute(query)]


@hookimpl
def mat_retention_destroy(session: Session, school_id: int, record_type: str, subject: str,
                          years: dict, today: dt.date):
    """Delete the weeks of marks past their three years (a register row holds nothing else)."""
    if record_type != REGISTERS:
        return None
    pupil_id = int(subject.split(":", 1)[1])
    mine = (AttendanceWeek.school_id == school_id, AttendanceWeek.pupil_id == pupil_id,
            AttendanceWeek.week_start <= _due_by(years[REGISTERS], today))
    first, last = session.execute(select(func.min(AttendanceWeek.week_start),
                                         func.max(AttendanceWeek.week_start)).where(*mine)).one()
    gone = session.execute(delete(AttendanceWeek).where(*mine),
                           execution_options={"synchronize_session": False}).rowcount
    if gone:  # the term totals counted those marks: count the spans they fell in again
        from plugins.attendance.terms import refresh

        refresh(session.connection(), school_id, first, last + dt.timedelta(days=6))
    return {"register_weeks": gone, "first_week": first.isoformat() if first else None,
            "last_week": last.isoformat() if last else None}


@hookimpl
def mat_subject_access(session: Session, school_id: int, pupil_id: int):
    """The pupil's registers, one item per academic year: the totals and each week's marks."""
    weeks = list(session.scalars(select(AttendanceWeek).where(
        AttendanceWeek.school_id == school_id, AttendanceWeek.pupil_id == pupil_id)
        .order_by(AttendanceWeek.week_start)))
    years: dict[int, list[AttendanceWeek]] = {}
    for w in weeks:
        years.setdefault(academic_year_start(w.week_start), []).append(w)
    items = []
    for start, rows in years.items():
        totals = {k: sum(getattr(w, k) for w in rows)
                  for k in ("possible", "present", "authorised", "unauthorised", "aea")}
        lines = [f"Sessions possible {totals['possible']}, present {totals['present']}, "
                 f"approved educational activity {totals['aea']}, authorised absence "
                 f"{totals['authorised']}, unauthorised absence {totals['unauthorised']}."]
        lines += [f"Week of {uk_date(w.week_start)}: " + ", ".join(
            f"{day:%a} {session_} {code}" for day, session_, code in decode(w.week_start, w.marks))
            for w in rows]
        items.append(SubjectAccessItem(
            f"{NAME}:year:{pupil_id}-{start}",
            dt.datetime.combine(rows[0].week_start, dt.time(9)),
            f"Attendance register {start}/{str(start + 1)[-2:]}", "\n".join(lines)))
    return [SubjectAccessSection(NAME, "Attendance registers", items)] if items else []
