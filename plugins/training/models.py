"""Tables of the training plugin: the adults who work in a school, the trust's courses, the
training they completed, in-school sessions with attendance, and read-and-sign policies.

Training records are not case files: they are kept by the school's admins and safeguarding
leads, and every change is audited. Each row of a school carries ``school_id`` (and
``trust_id``) and is pinned to its school by composite foreign keys.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from core.db import AppendOnly, Base, SchoolScoped, TrustScoped, school_key, utcnow

# Job roles as schools name them. A person holds one job role; being the DSL (or a deputy)
# and sitting on recruitment panels are recorded separately, since a headteacher is often
# also the DSL and a teacher may recruit.
JOB_ROLES = {
    "teacher": "Teacher",
    "support_staff": "Support staff (teaching assistant, SEN support)",
    "midday_supervisor": "Midday supervisor",
    "office_staff": "Office, site and catering staff",
    "headteacher": "Headteacher",
    "volunteer": "Volunteer",
    "governor": "Governor or trustee",
    "contractor": "Contractor (regularly on site)",
}
SAFEGUARDING_ROLES = {"": "None", "dsl": "Designated safeguarding lead",
                      "deputy_dsl": "Deputy DSL"}
# what a course's ``required_for`` may name besides job and safeguarding roles
RECRUITER = "recruiter"
EVERYONE = "all"


class StaffMember(SchoolScoped, Base):
    """An adult who works in the school, whether or not they sign in to the platform."""

    __tablename__ = "training_staff"
    __school_key_target__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    # the MIS's own id for the person (a staff import matches on it first)
    mis_id: Mapped[str | None] = mapped_column(String(40), index=True)
    job_role: Mapped[str] = mapped_column(String(30))
    safeguarding_role: Mapped[str] = mapped_column(String(20), default="")
    recruits: Mapped[bool] = mapped_column(default=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    started_on: Mapped[dt.date | None]
    left_on: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Course(TrustScoped, Base):
    """A kind of training and the trust's rule for it: who needs it, how long it lasts."""

    __tablename__ = "training_courses"
    __table_args__ = (UniqueConstraint("trust_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(120))
    # months a completion stays valid; None: once is enough (induction)
    validity_months: Mapped[int | None]
    required_for: Mapped[list] = mapped_column(default=list)
    # codes of other courses whose completion also meets this one (a DSL refresher meets
    # the two-yearly DSL training)
    also_met_by: Mapped[list] = mapped_column(default=list)
    # concern category codes this course prepares staff for (the needs analysis)
    concern_categories: Mapped[list] = mapped_column(default=list)
    statutory_note: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)


class TrainingSession(SchoolScoped, Base):
    """Training delivered in school on one day, with its attendance list."""

    __tablename__ = "training_sessions"
    __school_key_target__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id"), index=True)
    held_on: Mapped[dt.date]
    title: Mapped[str] = mapped_column(String(200), default="")
    trainer: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SessionAttendance(SchoolScoped, Base):
    """Whether one person attended a session (``attended`` False: expected but absent)."""

    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("session_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = school_key("training_sessions", index=True)
    staff_id: Mapped[int] = school_key("training_staff", index=True)
    attended: Mapped[bool] = mapped_column(default=False)
    marked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TrainingRecord(SchoolScoped, Base):
    """Training someone completed. A record entered by mistake is withdrawn (kept, with who
    withdrew it and why), never deleted."""

    __tablename__ = "training_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = school_key("training_staff", index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id"), index=True)
    completed_on: Mapped[dt.date]
    provider: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(20), default="manual")  # manual, import, session
    session_id: Mapped[int | None] = school_key("training_sessions", index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    certificate_name: Mapped[str | None] = mapped_column(String(255))
    certificate_type: Mapped[str | None] = mapped_column(String(60))
    certificate_size: Mapped[int | None]
    certificate_sha256: Mapped[str | None] = mapped_column(String(64))
    certificate: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_reason: Mapped[str] = mapped_column(String(300), default="")


class Policy(SchoolScoped, Base):
    """One published version of a document staff must read and sign (KCSIE part one 2025,
    the child protection policy v3). A new version is a new row: signatures do not carry."""

    __tablename__ = "training_policies"
    __school_key_target__ = True
    __table_args__ = (UniqueConstraint("school_id", "title", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(Text, default="")
    published_on: Mapped[dt.date]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    superseded_at: Mapped[dt.datetime | None]


class Acknowledgement(SchoolScoped, AppendOnly, Base):
    """A person's signature that they have read one policy version. Never edited."""

    __tablename__ = "training_acknowledgements"
    __table_args__ = (UniqueConstraint("policy_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = school_key("training_policies", index=True)
    staff_id: Mapped[int] = school_key("training_staff", index=True)
    signed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_paper: Mapped[bool] = mapped_column(default=False)
