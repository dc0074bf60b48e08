"""What the converging-signals rules found and what the DSL decided.

A firing is the record of a rule matching one pupil's indicators on a day: which indicators
(each with its date, label and link), and which linked children at other schools were behind
it (by id only: their case detail stays with their school). A new firing is stored only when
the set of indicators grew; a decision is the DSL's answer to one firing and covers the
indicators it showed. Both are append-only. The watermark is each school's last evaluation,
so the nightly run starts from there.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import AppendOnly, Base, SchoolScoped, school_key, utcnow

OUTCOMES = {
    "no_further_action": "No further action",
    "monitor": "Keep watching (no action now)",
    "raise_concern": "Raise a concern",
    "contact_other_dsl": "Contact the other school's DSL",
    "already_known": "Already known to the agencies working with the child",
    "refer": "Refer to early help or children's social care",
}


class SignalFiring(SchoolScoped, AppendOnly, Base):
    """A rule that matched one pupil's indicators (``indicators``: the ones behind it, as
    dicts with kind, date, source, label, link and key; ``relatives``: linked children at
    other schools, ``{"pupil_id", "school_id"}`` only). ``fingerprint`` is the rule, pupil and
    indicator keys hashed, so an evaluation run twice stores one firing."""

    __tablename__ = "signal_firings"
    __school_key_target__ = True
    __table_args__ = (UniqueConstraint("school_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(index=True)
    rule: Mapped[str] = mapped_column(String(60))
    pattern_key: Mapped[str] = mapped_column(String(120), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[dt.date]
    indicators: Mapped[list] = mapped_column(default=list)
    relatives: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SignalDecision(SchoolScoped, AppendOnly, Base):
    """What the DSL decided about a firing and why. It stands (the same pattern does not
    alert again) until ``review_on`` if given, and only for the indicators it covered
    (``indicator_keys``): a new one alerts again."""

    __tablename__ = "signal_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    firing_id: Mapped[int] = school_key("signal_firings", index=True)
    pupil_id: Mapped[int] = mapped_column(index=True)
    pattern_key: Mapped[str] = mapped_column(String(120), index=True)
    outcome: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)
    review_on: Mapped[dt.date | None]
    indicator_keys: Mapped[list] = mapped_column(default=list)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_name: Mapped[str] = mapped_column(String(200), default="")
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SignalWatermark(SchoolScoped, Base):
    """A school's last evaluation: indicators dated after ``evaluated_to`` (less a grace for
    late registers) are what the next run looks at first."""

    __tablename__ = "signal_watermarks"
    __table_args__ = (UniqueConstraint("school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluated_to: Mapped[dt.date]
    ran_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    result: Mapped[dict] = mapped_column(default=dict)
