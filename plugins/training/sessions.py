"""In-school training sessions and the cascade: who attended, and the follow-up of those who
missed it until they have caught up (a later record of the same course exists)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import london_today
from core.db import get_in_school, utcnow
from core.errors import NotFound, ValidationError
from core.models import School
from core.policy import Actor, require
from plugins.training.courses import ensure_courses
from plugins.training.models import Course, SessionAttendance, StaffMember, TrainingRecord
from plugins.training.models import TrainingSession
from plugins.training.records import add_record, course_of
from plugins.training.staff import current_staff


def create_session(session: Session, actor: Actor | None, school_id: int, course_id: int,
                   held_on: dt.date, title: str = "", trainer: str = "",
                   staff_ids: list[int] | None = None) -> TrainingSession:
    """Plan or record a session. ``staff_ids`` is who was expected (default: everyone
    currently on the staff list who needs the course is left to the caller to choose)."""
    if actor is not None:
        require(actor, "training.manage", school_id)
    trust_id = session.scalar(select(School.trust_id).where(School.id == school_id))
    ensure_courses(session, trust_id)
    course = course_of(session, trust_id, course_id)
    if not isinstance(held_on, dt.date):
        raise ValidationError({"held_on": ["is required (a date)"]})
    staff_ids = list(dict.fromkeys(staff_ids or []))
    if not staff_ids:
        raise ValidationError({"staff_ids": ["choose who was expected to attend"]})
    found = set(session.scalars(select(StaffMember.id).where(
        StaffMember.school_id == school_id, StaffMember.id.in_(staff_ids))))
    if missing := [s for s in staff_ids if s not in found]:
        raise ValidationError({"staff_ids": [f"no person {s} in this school" for s in missing]})
    ts = TrainingSession(school_id=school_id, course_id=course.id, held_on=held_on,
                         title=(title or course.label).strip()[:200],
                         trainer=(trainer or "").strip()[:200],
                         created_by_id=actor.user_id if actor else None)
    session.add(ts)
    session.flush()
    for sid in staff_ids:
        session.add(SessionAttendance(school_id=school_id, session_id=ts.id, staff_id=sid))
    session.flush()
    audit.record(session, "training.session_added", actor=actor, object_type="training_session",
                 object_id=ts.id, school_id=school_id,
                 detail={"course": course.code, "held_on": held_on, "expected": len(staff_ids)})
    return ts


def get_session(session: Session, school_id: int, session_id: int) -> TrainingSession:
    """A session of this school, or ``NotFound``."""
    return get_in_school(session, TrainingSession, session_id, school_id, "training session")


def attendance(session: Session, school_id: int, session_id: int
               ) -> list[tuple[SessionAttendance, StaffMember]]:
    """The attendance list of a session, by name."""
    return list(session.execute(
        select(SessionAttendance, StaffMember)
        .join(StaffMember, (StaffMember.id == SessionAttendance.staff_id)
              & (StaffMember.school_id == SessionAttendance.school_id))
        .where(SessionAttendance.session_id == session_id,
               SessionAttendance.school_id == school_id)
        .order_by(StaffMember.name)))


def mark_attendance(session: Session, actor: Actor | None, school_id: int, session_id: int,
                    attended_ids: list[int], provider: str = "",
                    today: dt.date | None = None) -> dict:
    """Mark who attended. Each attendee gets a training record dated the session; someone
    unmarked has that record withdrawn (kept, with the reason). Running it twice with the
    same list changes nothing."""
    if actor is not None:
        require(actor, "training.manage", school_id)
    ts = get_session(session, school_id, session_id)
    today = today or london_today()
    if ts.held_on > today:
        raise ValidationError({"attended": ["attendance can be marked once the session "
                                            "has taken place"]})
    rows = {a.staff_id: a for a, _ in attendance(session, school_id, session_id)}
    attended = set(attended_ids or [])
    if bad := sorted(attended - set(rows)):
        raise ValidationError({"attended": [f"person {s} was not on this session's list"
                                            for s in bad]})
    existing = {r.staff_id: r for r in session.scalars(select(TrainingRecord).where(
        TrainingRecord.school_id == school_id, TrainingRecord.session_id == session_id,
        TrainingRecord.withdrawn_at.is_(None)))}
    added = withdrawn = 0
    for staff_id, row in rows.items():
        now_attended = staff_id in attended
        if row.attended != now_attended:
            row.attended, row.marked_at = now_attended, utcnow()
        if now_attended and staff_id not in existing:
            add_record(session, actor, school_id, staff_id, ts.course_id, ts.held_on,
                       provider=provider or ts.trainer or "In school", source="session",
                       session_id=ts.id, today=today)
            added += 1
        elif not now_attended and staff_id in existing:
            rec = existing[staff_id]
            rec.withdrawn_at, rec.withdrawn_reason = utcnow(), "attendance corrected"
            rec.withdrawn_by_id = actor.user_id if actor else None
            withdrawn += 1
    session.flush()
    audit.record(session, "training.attendance_marked", actor=actor,
                 object_type="training_session", object_id=ts.id, school_id=school_id,
                 detail={"attended": sorted(attended), "records_added": added,
                         "records_withdrawn": withdrawn})
    return {"attended": len(attended), "absent": len(rows) - len(attended),
            "records_added": added, "records_withdrawn": withdrawn}


@dataclass(frozen=True)
class FollowUp:
    person: StaffMember
    session: TrainingSession
    course: Course


def follow_ups(session: Session, school_id: int, today: dt.date | None = None) -> list[FollowUp]:
    """Who missed a session that has taken place and has not caught up since: no record of
    the same course (or one that meets it) dated on or after the session. People who have
    left drop off the list."""
    today = today or london_today()
    current = {p.id: p for p in current_staff(session, school_id, today)}
    trust_id = session.scalar(select(School.trust_id).where(School.id == school_id))
    courses = {c.id: c for c in ensure_courses(session, trust_id)}
    code_to_id = {c.code: c.id for c in courses.values()}
    missed = session.execute(
        select(SessionAttendance.staff_id, TrainingSession)
        .join(TrainingSession, (TrainingSession.id == SessionAttendance.session_id)
              & (TrainingSession.school_id == SessionAttendance.school_id))
        .where(SessionAttendance.school_id == school_id, SessionAttendance.attended.is_(False),
               TrainingSession.held_on <= today)
        .order_by(TrainingSession.held_on, SessionAttendance.staff_id)).all()
    if not missed:
        return []
    done: dict[tuple[int, int], dt.date] = {}
    for r in session.scalars(select(TrainingRecord).where(
            TrainingRecord.school_id == school_id, TrainingRecord.withdrawn_at.is_(None))):
        key = (r.staff_id, r.course_id)
        done[key] = max(done.get(key, r.completed_on), r.completed_on)
    out = []
    for staff_id, ts in missed:
        if staff_id not in current:
            continue
        course = courses[ts.course_id]
        counting = [course.id] + [code_to_id[c] for c in course.also_met_by or []
                                  if c in code_to_id]
        if any(done.get((staff_id, cid), dt.date.min) >= ts.held_on for cid in counting):
            continue
        out.append(FollowUp(current[staff_id], ts, course))
    return out


def list_sessions(session: Session, school_id: int) -> list[TrainingSession]:
    """The school's sessions, newest first."""
    return list(session.scalars(select(TrainingSession).where(
        TrainingSession.school_id == school_id).order_by(TrainingSession.held_on.desc(),
                                                         TrainingSession.id.desc())))
