"""When training runs out, and what state a person's training is in on a given day.

The rule (documented in the training guide, tested at its edges):

* A completion on day D for a course valid N months is **due again on D + N months**, in the
  same day of the month; where that month is shorter the date is clamped to its last day
  (29 Feb 2024 + 24 months = 28 Feb 2026; 31 Aug 2025 + 6 months = 28 Feb 2026).
* It is **valid up to and including that due date** and **expired from the next day**: DSL
  training on 10 March 2024 refreshed on 10 March 2026 ("every two years") never lapses.
* **Due soon** means the due date falls within the next 30 days (today included).
* A course without a validity period (induction) never runs out once completed.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

DUE_SOON_DAYS = 30

COMPLIANT = "compliant"
DUE = "due"
EXPIRED = "expired"
MISSING = "missing"
STATUS_LABELS = {COMPLIANT: "In date", DUE: "Due within 30 days", EXPIRED: "Expired",
                 MISSING: "Missing"}
IN_DATE = frozenset({COMPLIANT, DUE})


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, clamped to the end of a shorter month."""
    if months < 0:
        raise ValueError("months must not be negative")
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_on(completed_on: dt.date, validity_months: int | None) -> dt.date | None:
    """The last day a completion is valid (``None``: it never runs out)."""
    if validity_months is None:
        return None
    return add_months(completed_on, validity_months)


@dataclass(frozen=True)
class CourseState:
    """One cell of the compliance matrix."""

    status: str
    completed_on: dt.date | None = None
    due_on: dt.date | None = None

    @property
    def in_date(self) -> bool:
        return self.status in IN_DATE


def state_on(today: dt.date, completed_on: dt.date | None,
             validity_months: int | None) -> CourseState:
    """The state of a course for someone whose latest completion was ``completed_on``."""
    if completed_on is None:
        return CourseState(MISSING)
    due = due_on(completed_on, validity_months)
    if due is None:
        return CourseState(COMPLIANT, completed_on, None)
    if today > due:
        return CourseState(EXPIRED, completed_on, due)
    if (due - today).days <= DUE_SOON_DAYS:
        return CourseState(DUE, completed_on, due)
    return CourseState(COMPLIANT, completed_on, due)
