"""The roll kept in step with the school's MIS (:mod:`core.mis`): what each pupil is called in
the MIS, the parents and carers it lists, each import with its report, the saved CSV layouts,
the rows waiting for a person's decision and the pupils an import no longer lists."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from core.db import Base, SchoolScoped, school_key, utcnow


class PupilMisRecord(SchoolScoped, Base):
    """How the MIS knows a pupil: its own id (an admission number or person id) and the
    pupil's former UPN. One per pupil; the second way an import finds a pupil."""

    __tablename__ = "pupil_mis_records"
    __table_args__ = (UniqueConstraint("school_id", "mis_id"), UniqueConstraint("pupil_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(index=True)
    mis_id: Mapped[str | None] = mapped_column(String(40))
    former_upn: Mapped[str | None] = mapped_column(String(13))


class PupilCarer(SchoolScoped, Base):
    """A parent or carer the MIS lists for a pupil, in its order of contact. A carer the MIS
    stops listing is ended (``end_date``), never deleted: who had parental responsibility on
    a day stays known."""

    __tablename__ = "pupil_carers"

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(index=True)
    priority: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(20), default="")
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100))
    relationship: Mapped[str] = mapped_column(String(40), default="")
    parental_responsibility: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str | None] = mapped_column(String(300))
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date | None]

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.title, self.first_name, self.last_name) if p)


class MisLayout(SchoolScoped, Base):
    """A school's saved CSV column mapping (its MIS's own export): field -> column heading."""

    __tablename__ = "mis_layouts"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    columns: Mapped[dict]
    date_format: Mapped[str] = mapped_column(String(20), default="%d/%m/%Y")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MisImport(SchoolScoped, Base):
    """One file (or one plugin source's rows) brought in from the MIS: previewed, then
    committed whole or not at all. ``report`` is the preview: counts, the rows to add,
    change and review, the pupils no longer listed, and every problem with its place."""

    __tablename__ = "mis_imports"
    __school_key_target__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))  # ctf, csv, or a plugin's source name
    layout: Mapped[str | None] = mapped_column(String(60))
    filename: Mapped[str] = mapped_column(String(255), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    full: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    commit_requested: Mapped[bool] = mapped_column(default=False)
    report: Mapped[dict | None]
    job_id: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    committed_at: Mapped[dt.datetime | None]


class MisReviewItem(SchoolScoped, Base):
    """A row of an import that has the name and date of birth of a pupil on the roll but
    neither their UPN nor their MIS id: a person decides whether it is that pupil, a new
    pupil, or neither. Never guessed."""

    __tablename__ = "mis_review_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = school_key("mis_imports", index=True)
    pupil_id: Mapped[int | None] = mapped_column(index=True)  # the pupil it may be
    row_key: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(String(300))
    row: Mapped[dict]
    status: Mapped[str] = mapped_column(String(20), default="open")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]


class MisLeaverCheck(SchoolScoped, Base):
    """A pupil on the roll whom a full import no longer lists: "left?" until the school admin
    confirms the leaving (date, destination) or says they are still here."""

    __tablename__ = "mis_leaver_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(index=True)
    import_id: Mapped[int] = school_key("mis_imports", index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
