"""The trust's courses and who needs them.

Every trust starts from the statutory defaults below (Keeping Children Safe in Education:
induction for all staff, an update at least annually, DSL training refreshed at least every
two years, safer recruitment training for those who recruit) and may edit them, switch
them off or add its own courses.
"""
from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import ValidationError
from core.policy import Actor, require
from plugins.training.models import (
    EVERYONE,
    JOB_ROLES,
    RECRUITER,
    SAFEGUARDING_ROLES,
    Course,
    StaffMember,
)

ALL_STAFF = [EVERYONE]
DSLS = ["dsl", "deputy_dsl"]
FRONT_LINE = ["teacher", "support_staff", "headteacher", "dsl", "deputy_dsl"]

# code, label, validity in months (None: once), required for, also met by, concern
# categories it prepares staff for, and where the rule comes from
DEFAULT_COURSES = (
    ("induction", "Safeguarding induction", None, ALL_STAFF, [], [],
     "KCSIE: all staff receive safeguarding and child protection training at induction."),
    ("annual_update", "Annual safeguarding update", 12, ALL_STAFF, ["induction"], [],
     "KCSIE: updates at least annually; an induction in the last year counts."),
    ("dsl_training", "DSL training", 24, DSLS, ["dsl_refresher"], [],
     "KCSIE: the DSL and deputies refresh their DSL training at least every two years."),
    ("dsl_refresher", "DSL refresher", 24, [], [], [],
     "Meets the two-yearly DSL training."),
    ("prevent", "Prevent awareness", 24, FRONT_LINE, [], ["radicalisation"],
     "Prevent duty; the period is the trust's choice."),
    ("online_safety", "Online safety", 12, FRONT_LINE, [], ["online_safety"],
     "KCSIE: online safety is part of induction and regular updates; period is the "
     "trust's choice."),
    ("safer_recruitment", "Safer recruitment", 36, [RECRUITER], [], [],
     "KCSIE: at least one person on every recruitment panel is trained; period is the "
     "trust's choice."),
)

REQUIREMENT_TOKENS = {EVERYONE: "All staff", RECRUITER: "Those who recruit",
                      **JOB_ROLES, **{k: v for k, v in SAFEGUARDING_ROLES.items() if k}}
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def ensure_courses(session: Session, trust_id: int) -> list[Course]:
    """The trust's courses, creating the statutory defaults the first time they are asked for."""
    courses = list(session.scalars(select(Course).where(Course.trust_id == trust_id)
                                   .order_by(Course.position, Course.id)))
    if courses:
        return courses
    for pos, (code, label, months, req, met_by, cats, note) in enumerate(DEFAULT_COURSES):
        session.add(Course(trust_id=trust_id, code=code, label=label, validity_months=months,
                           required_for=list(req), also_met_by=list(met_by),
                           concern_categories=list(cats), statutory_note=note, position=pos))
    session.flush()
    return list(session.scalars(select(Course).where(Course.trust_id == trust_id)
                                .order_by(Course.position, Course.id)))


def active_courses(session: Session, trust_id: int) -> list[Course]:
    """Courses in use (switched-off ones keep their records but leave the matrix)."""
    return [c for c in ensure_courses(session, trust_id) if c.active]


def person_tokens(person: StaffMember) -> set[str]:
    """What a course's ``required_for`` is matched against for this person."""
    tokens = {person.job_role}
    if person.safeguarding_role:
        tokens.add(person.safeguarding_role)
    if person.recruits:
        tokens.add(RECRUITER)
    return tokens


def needs(course: Course, person: StaffMember) -> bool:
    """Does this person need this course (by their role, DSL role and recruiting)?"""
    required = set(course.required_for or [])
    return course.active and (EVERYONE in required or bool(required & person_tokens(person)))


def _clean(session: Session, trust_id: int, data: dict, course: Course | None) -> dict:
    errors: dict[str, list[str]] = {}
    out: dict = {}
    label = (data.get("label") or "").strip()
    if not label:
        errors["label"] = ["is required"]
    out["label"] = label[:120]
    months = data.get("validity_months")
    if months in (None, ""):
        out["validity_months"] = None
    else:
        try:
            out["validity_months"] = int(months)
            if not 1 <= out["validity_months"] <= 120:
                raise ValueError
        except (TypeError, ValueError):
            errors["validity_months"] = ["must be a whole number of months from 1 to 120, "
                                         "or empty for training done once"]
    required = list(dict.fromkeys(data.get("required_for") or []))
    if bad := [r for r in required if r not in REQUIREMENT_TOKENS]:
        errors["required_for"] = [f"unknown role {r!r}" for r in bad]
    out["required_for"] = required
    codes = set(session.scalars(select(Course.code).where(Course.trust_id == trust_id)))
    met_by = list(dict.fromkeys(data.get("also_met_by") or []))
    if bad := [c for c in met_by if c not in codes or (course and c == course.code)]:
        errors["also_met_by"] = [f"{c!r} is not another course of this trust" for c in bad]
    out["also_met_by"] = met_by
    out["concern_categories"] = [c.strip() for c in data.get("concern_categories") or []
                                 if c.strip()]
    out["active"] = bool(data.get("active", True))
    if errors:
        raise ValidationError(errors)
    return out


def add_course(session: Session, actor: Actor, trust_id: int, code: str, data: dict) -> Course:
    """Add one of the trust's own courses (trust safeguarding lead or trust admin)."""
    require(actor, "training.rules", trust_id=trust_id)
    ensure_courses(session, trust_id)
    code = (code or "").strip().lower()
    if not CODE_RE.match(code):
        raise ValidationError({"code": ["use 2-40 lower-case letters, digits or _, "
                                        "starting with a letter"]})
    if session.scalar(select(Course.id).where(Course.trust_id == trust_id, Course.code == code)):
        raise ValidationError({"code": [f"the trust already has a course {code!r}"]})
    clean = _clean(session, trust_id, data, None)
    last = session.scalar(select(func.max(Course.position)).where(Course.trust_id == trust_id))
    course = Course(trust_id=trust_id, code=code, position=(last or 0) + 1, **clean)
    session.add(course)
    session.flush()
    audit.record(session, "training.course_added", actor=actor, object_type="training_course",
                 object_id=course.id, trust_id=trust_id, detail={"code": code, **clean})
    return course


def update_course(session: Session, actor: Actor, trust_id: int, course_id: int,
                  data: dict) -> Course:
    """Change a course's rule: label, validity, who needs it, what also meets it."""
    require(actor, "training.rules", trust_id=trust_id)
    course = session.scalar(select(Course).where(Course.id == course_id,
                                                 Course.trust_id == trust_id))
    if course is None:
        raise ValidationError({"course": ["no such course in this trust"]})
    clean = _clean(session, trust_id, data, course)
    for key, value in clean.items():
        setattr(course, key, value)
    session.flush()
    audit.record(session, "training.course_changed", actor=actor, object_type="training_course",
                 object_id=course.id, trust_id=trust_id, detail={"code": course.code, **clean})
    return course
