"""A school's compliance: people by course, the compliance figure, and who blocks it.

A person is **compliant** when every course they need is in date (compliant or due within
30 days). The school's compliance % is the share of its current staff who are compliant;
the people who block it are the others, with the courses that are expired or missing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import london_today
from core.models import School
from core.policy import Actor, require
from plugins.training.courses import active_courses, ensure_courses, needs
from plugins.training.models import Course, StaffMember, TrainingRecord
from plugins.training.records import records_of
from plugins.training.staff import current_staff
from plugins.training.validity import DUE, EXPIRED, IN_DATE, MISSING, CourseState, state_on


def latest_completions(records: list[TrainingRecord], courses: list[Course],
                       today: dt.date) -> dict[tuple[int, str], dt.date]:
    """(staff id, course code) -> latest completion on or before ``today``, from records not
    withdrawn (so a figure as at a past date ignores training done since)."""
    code_of = {c.id: c.code for c in courses}
    latest: dict[tuple[int, str], dt.date] = {}
    for r in records:
        if r.withdrawn_at is not None or r.course_id not in code_of or r.completed_on > today:
            continue
        key = (r.staff_id, code_of[r.course_id])
        if key not in latest or r.completed_on > latest[key]:
            latest[key] = r.completed_on
    return latest


def course_state(course: Course, staff_id: int, latest: dict[tuple[int, str], dt.date],
                 today: dt.date) -> CourseState:
    """The state of ``course`` for one person: their latest completion of it, or of a course
    that also meets it, measured against this course's validity."""
    dates = [latest[(staff_id, code)] for code in [course.code, *(course.also_met_by or [])]
             if (staff_id, code) in latest]
    return state_on(today, max(dates) if dates else None, course.validity_months)


@dataclass
class PersonRow:
    person: StaffMember
    cells: dict[int, CourseState | None]  # course id -> state, None when not needed

    @property
    def needed(self) -> list[CourseState]:
        return [c for c in self.cells.values() if c is not None]

    @property
    def compliant(self) -> bool:
        return all(c.in_date for c in self.needed)

    @property
    def due_soon(self) -> bool:
        return any(c.status == DUE for c in self.needed)

    def blocking(self, courses: list[Course]) -> list[tuple[Course, CourseState]]:
        return [(c, self.cells[c.id]) for c in courses
                if self.cells.get(c.id) is not None and not self.cells[c.id].in_date]


@dataclass
class Matrix:
    school_id: int
    today: dt.date
    courses: list[Course]
    rows: list[PersonRow]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def compliance_pct(self) -> float | None:
        if not self.rows:
            return None
        return round(100 * sum(r.compliant for r in self.rows) / len(self.rows), 1)

    @property
    def blockers(self) -> list[PersonRow]:
        return [r for r in self.rows if not r.compliant]

    def course_in_date(self, course: Course) -> tuple[int, int]:
        """(people in date, people who need it) for one course."""
        cells = [r.cells.get(course.id) for r in self.rows]
        needed = [c for c in cells if c is not None]
        return sum(c.in_date for c in needed), len(needed)


def build_matrix(session: Session, school_id: int, today: dt.date | None = None) -> Matrix:
    """The compliance matrix of a school on ``today`` (no access check: for metrics and jobs;
    pages call :func:`compliance_matrix`)."""
    today = today or london_today()
    trust_id = session.scalar(select(School.trust_id).where(School.id == school_id))
    courses = active_courses(session, trust_id)
    staff = current_staff(session, school_id, today)
    latest = latest_completions(records_of(session, school_id, [p.id for p in staff]),
                                ensure_courses(session, trust_id), today)
    return _matrix(school_id, today, courses, staff, latest)


def build_matrices(session: Session, school_ids: list[int], today: dt.date | None = None
                   ) -> dict[int, Matrix]:
    """:func:`build_matrix` for many schools from one read of each table (the staff and the
    records of all of them at once), so the trust overview's cost does not grow with the
    number of schools. Its rows' ``person`` is a row of the staff columns the rules read (id,
    school, name, job role, safeguarding role, recruits), not a :class:`StaffMember`: for
    figures, not for pages."""
    today = today or london_today()
    if not school_ids:
        return {}
    trusts = dict(session.execute(select(School.id, School.trust_id)
                                  .where(School.id.in_(school_ids))).all())
    every = {t: ensure_courses(session, t) for t in set(trusts.values())}
    # rows of the columns the rules read, not whole objects: a trust's staff and records are
    # thousands of rows, and building ORM objects for them was most of the time
    staff: dict[int, list] = {sid: [] for sid in school_ids}
    for person in session.execute(select(
            StaffMember.id, StaffMember.school_id, StaffMember.name, StaffMember.job_role,
            StaffMember.safeguarding_role, StaffMember.recruits).where(
            StaffMember.school_id.in_(school_ids),
            or_(StaffMember.left_on.is_(None), StaffMember.left_on >= today),
            or_(StaffMember.started_on.is_(None), StaffMember.started_on <= today),
    ).order_by(StaffMember.name, StaffMember.id)):
        staff[person.school_id].append(person)
    records: dict[int, list] = {sid: [] for sid in school_ids}
    for r in session.execute(select(
            TrainingRecord.school_id, TrainingRecord.staff_id, TrainingRecord.course_id,
            TrainingRecord.completed_on, TrainingRecord.withdrawn_at).where(
            TrainingRecord.school_id.in_(school_ids), TrainingRecord.withdrawn_at.is_(None))):
        records[r.school_id].append(r)
    out = {}
    for sid in school_ids:
        courses = every[trusts[sid]]
        latest = latest_completions(records[sid], courses, today)
        out[sid] = _matrix(sid, today, [c for c in courses if c.active], staff[sid], latest)
    return out


def _matrix(school_id: int, today: dt.date, courses: list[Course], staff: list[StaffMember],
            latest: dict[tuple[int, str], dt.date]) -> Matrix:
    # The same cells as course_state(course, person) where needs(course, person), with what
    # does not depend on the person worked out once: people of the same roles need the same
    # courses, and a course's state depends only on the latest completion date (a trust's
    # matrices are tens of thousands of cells, and re-reading each course's ORM attributes
    # per cell was most of their cost).
    facts = [(c.id, (c.code, *(c.also_met_by or [])), c.validity_months) for c in courses]
    ids = [c.id for c in courses]
    needed_by: dict[tuple, list[tuple]] = {}
    states: dict[tuple, CourseState] = {}
    rows, counts = [], {s: 0 for s in ("compliant", DUE, EXPIRED, MISSING)}
    for person in staff:
        key = (person.job_role, person.safeguarding_role or None, bool(person.recruits))
        wanted = needed_by.get(key)
        if wanted is None:
            wanted = needed_by[key] = [f for f, c in zip(facts, courses) if needs(c, person)]
        cells: dict[int, CourseState | None] = dict.fromkeys(ids)
        for course_id, codes, months in wanted:
            dates = [latest[(person.id, code)] for code in codes if (person.id, code) in latest]
            last = max(dates) if dates else None
            state = states.get((course_id, last))
            if state is None:
                state = states[(course_id, last)] = state_on(today, last, months)
            cells[course_id] = state
            counts[state.status] += 1
        rows.append(PersonRow(person, cells))
    shown = [c for c in courses if any(r.cells.get(c.id) is not None for r in rows)]
    return Matrix(school_id, today, shown, rows, counts)


def compliance_matrix(session: Session, actor: Actor, school_id: int,
                      today: dt.date | None = None) -> Matrix:
    """The matrix for the school's training managers and the trust (who may drill in)."""
    require(actor, "training.view", school_id)
    matrix = build_matrix(session, school_id, today)
    audit.record(session, "training.matrix_read", actor=actor, object_type="school",
                 object_id=school_id, school_id=school_id)
    return matrix


def person_courses(session: Session, school_id: int, person: StaffMember,
                   today: dt.date | None = None) -> list[tuple[Course, CourseState, bool]]:
    """Every course a person needs or has done: (course, state, needed)."""
    today = today or london_today()
    courses = ensure_courses(session, person.trust_id)
    latest = latest_completions(records_of(session, school_id, [person.id]), courses, today)
    done = {code for (_, code) in latest}
    out = []
    for course in courses:
        needed = needs(course, person)
        if needed or course.code in done:
            out.append((course, course_state(course, person.id, latest, today), needed))
    return out


def dsl_in_date(matrix: Matrix) -> bool:
    """Is there a DSL, and are the DSL and every deputy in date for the DSL courses (those
    required only of DSLs and deputies)?"""
    leads = [r for r in matrix.rows if r.person.safeguarding_role in ("dsl", "deputy_dsl")]
    if not any(r.person.safeguarding_role == "dsl" for r in leads):
        return False
    dsl_courses = [c for c in matrix.courses
                   if c.required_for and set(c.required_for) <= {"dsl", "deputy_dsl"}]
    return all(r.cells[c.id] is None or r.cells[c.id].status in IN_DATE
               for r in leads for c in dsl_courses)
