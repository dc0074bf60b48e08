"""Safeguarding concerns, the DSL's append-only entries on them, attachments and alerts."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from core.db import AppendOnly, Base, SchoolScoped, TrustScoped, school_key, utcnow

# A default list after Keeping Children Safe in Education (part one and annex B); each trust
# gets a copy it may edit.
DEFAULT_CATEGORIES = (
    ("physical_abuse", "Physical abuse"),
    ("emotional_abuse", "Emotional abuse"),
    ("sexual_abuse", "Sexual abuse"),
    ("neglect", "Neglect"),
    ("child_on_child", "Child-on-child abuse"),
    ("sexual_violence_harassment", "Sexual violence and sexual harassment"),
    ("online_safety", "Online safety"),
    ("domestic_abuse", "Domestic abuse"),
    ("cse", "Child sexual exploitation"),
    ("cce", "Child criminal exploitation and county lines"),
    ("radicalisation", "Radicalisation (Prevent)"),
    ("mental_health", "Mental health"),
    ("self_harm", "Self-harm"),
    ("fgm", "Female genital mutilation"),
    ("forced_marriage", "Forced marriage and honour-based abuse"),
    ("missing_education", "Children absent or missing from education"),
    ("serious_violence", "Serious violence"),
    ("private_fostering", "Private fostering"),
    ("homelessness", "Homelessness"),
    ("substance_misuse", "Substance misuse"),
    ("bullying", "Bullying, including cyberbullying"),
    ("other", "Other"),
)

ENTRY_KINDS = ("triage", "action", "action_done", "decision", "referral", "outcome",
               "amendment", "note", "closure", "reopened")
RISK_LEVELS = ("low", "medium", "high", "immediate")
REFERRAL_TARGETS = ("early_help", "childrens_social_care", "police", "lado", "prevent", "other")
REFERRAL_LABELS = {
    "early_help": "Early help",
    "childrens_social_care": "Children's social care",
    "police": "Police",
    "lado": "LADO",
    "prevent": "Prevent",
    "other": "Other agency",
}


class ConcernCategory(TrustScoped, Base):
    __tablename__ = "concern_categories"
    __table_args__ = (UniqueConstraint("trust_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)


class Concern(SchoolScoped, AppendOnly, Base):
    """What a member of staff saw or heard, as they recorded it. Never edited afterwards."""

    __tablename__ = "concerns"
    __school_key_target__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    occurred_at: Mapped[dt.datetime]
    location: Mapped[str] = mapped_column(String(200), default="")
    fact: Mapped[str] = mapped_column(Text)
    child_words: Mapped[str] = mapped_column(Text, default="")
    opinion: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(40), default="staff")  # or a plugin's name
    body_map: Mapped[list | None] = mapped_column(default=None)  # see core.bodymap


class ConcernPupil(SchoolScoped, AppendOnly, Base):
    __tablename__ = "concern_pupils"
    __table_args__ = (UniqueConstraint("concern_id", "pupil_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = school_key("concerns", index=True)
    pupil_id: Mapped[int] = mapped_column(index=True)


class ConcernCategoryLink(SchoolScoped, AppendOnly, Base):
    __tablename__ = "concern_category_links"
    __table_args__ = (UniqueConstraint("concern_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = school_key("concerns", index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("concern_categories.id"), index=True)


class Attachment(SchoolScoped, AppendOnly, Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = school_key("concerns", index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # a file added with a DSL entry (none: it came with the concern as recorded)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("concern_entries.id"), index=True)


class ConcernEntry(SchoolScoped, AppendOnly, Base):
    """A DSL's entry on a concern: triage, action, decision, referral, outcome, amendment,
    closure. Corrections are new ``amendment`` entries that point at what they correct."""

    __tablename__ = "concern_entries"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('triage','action','action_done','decision','referral','outcome',"
            "'amendment','note','closure','reopened')",
            name="entry_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = school_key("concerns", index=True)
    kind: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    risk_level: Mapped[str | None] = mapped_column(String(10))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("concern_categories.id"))
    due_date: Mapped[dt.date | None]
    referral_to: Mapped[str | None] = mapped_column(String(30))
    refers_to_id: Mapped[int | None] = mapped_column(ForeignKey("concern_entries.id"))
    # an action's owner: who is to do it (a member of the school's staff)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # marks on a body outline seen by the DSL (see core.bodymap): [{"view", "region", "x", "y",
    # "note"}]
    body_map: Mapped[list | None] = mapped_column(default=None)


class Alert(SchoolScoped, Base):
    """Something the DSL should look at. Reading an alert marks it read; it stays findable.

    A standing alert (a condition about a pupil, see :func:`core.alerts.raise_standing_alert`)
    is raised again rather than duplicated while it is open: ``count`` is how many times it has
    fired and ``last_raised_at`` when it last did."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("school_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(String(40), default="core")
    kind: Mapped[str] = mapped_column(String(60))
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupils.id"), index=True)
    concern_id: Mapped[int | None] = mapped_column(ForeignKey("concerns.id"))
    message: Mapped[str] = mapped_column(String(500))
    link: Mapped[str | None] = mapped_column(String(300))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    count: Mapped[int] = mapped_column(default=1, server_default="1")
    # never empty in practice (set on every raise, filled by migration c0002); nullable in the
    # schema so that migration need not rebuild the table on SQLite
    last_raised_at: Mapped[dt.datetime | None] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[dt.datetime | None]
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[dt.datetime | None]
