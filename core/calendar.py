"""UK school dates: academic years from 1 September, terms, school days and AM/PM sessions,
all in Europe/London time."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

LONDON = ZoneInfo("Europe/London")
SESSIONS = ("AM", "PM")


def london_today(now: dt.datetime | None = None) -> dt.date:
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.astimezone(LONDON).date()


def academic_year_start(day: dt.date) -> int:
    """The calendar year in which ``day``'s academic year began (1 September)."""
    return day.year if day.month >= 9 else day.year - 1


def academic_year_label(day: dt.date) -> str:
    y = academic_year_start(day)
    return f"{y}/{(y + 1) % 100:02d}"


def academic_year_bounds(start_year: int) -> tuple[dt.date, dt.date]:
    return dt.date(start_year, 9, 1), dt.date(start_year + 1, 8, 31)


# --- dates and times as people read them ----------------------------------------------------
# One format across pages, the chronology PDF and the transfer file, as UK public bodies write
# it ("3 March 2026", "3 March 2026, 14:05"), always in Europe/London time. The web layer's
# Jinja filters call these, so plugins' Python (PDF, chronology titles) says the same.

def in_london(at: dt.datetime) -> dt.datetime:
    """A moment in London time; the platform stores UTC, so a naive value is taken as UTC."""
    return (at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)).astimezone(LONDON)


def uk_date(day: dt.date | dt.datetime | None, weekday: bool = False,
            year: bool = True) -> str:
    """``3 March 2026`` (``Tuesday 3 March 2026`` with ``weekday``, ``3 March`` without
    ``year`` for a list of days of one period); a moment gives its London day; ``""`` for
    nothing."""
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = in_london(day).date()
    text = f"{day.day} {day:%B %Y}" if year else f"{day.day} {day:%B}"
    return f"{day:%A} {text}" if weekday else text


def uk_datetime(at: dt.datetime | None) -> str:
    """``3 March 2026, 14:05`` in London time (BST in summer); ``""`` for nothing."""
    if at is None:
        return ""
    local = in_london(at)
    return f"{uk_date(local.date())}, {local:%H:%M}"


def uk_moment(at: dt.datetime | None) -> str:
    """Like :func:`uk_datetime`, without the time for day-level events (a flag starting,
    joining the roll), which the platform keeps as London midnight."""
    if at is None:
        return ""
    local = in_london(at)
    return uk_date(local.date()) if (local.hour, local.minute) == (0, 0) else uk_datetime(at)


def uk_age(at: dt.datetime | dt.date, now: dt.datetime | None = None) -> str:
    """How long ago, in whole London days: ``today``, ``yesterday``, ``3 days ago``,
    ``5 weeks ago`` (from 14 days on)."""
    today = london_today(now)
    day = in_london(at).date() if isinstance(at, dt.datetime) else at
    days = (today - day).days
    if days <= 0:
        return "today" if days == 0 else uk_date(day)
    if days == 1:
        return "yesterday"
    return f"{days} days ago" if days < 14 else f"{days // 7} weeks ago"


@dataclass(frozen=True)
class TermSpan:
    name: str
    start: dt.date
    end: dt.date


@dataclass
class SchoolCalendar:
    """A school's terms and closures. Build with :func:`calendar_for`."""

    terms: list[TermSpan]
    closures: dict[dt.date, str]  # date -> "ALL" | "AM" | "PM"

    @cached_property
    def _sorted_terms(self) -> list[TermSpan]:
        return sorted(self.terms, key=lambda t: t.start)

    def term_of(self, day: dt.date) -> TermSpan | None:
        for t in self._sorted_terms:
            if t.start <= day <= t.end:
                return t
        return None

    def sessions_on(self, day: dt.date) -> tuple[str, ...]:
        """The possible sessions on ``day``: none at weekends, outside terms or on closures."""
        if day.weekday() >= 5 or self.term_of(day) is None:
            return ()
        closed = self.closures.get(day)
        if closed == "ALL":
            return ()
        if closed in SESSIONS:
            return tuple(s for s in SESSIONS if s != closed)
        return SESSIONS

    def is_school_day(self, day: dt.date) -> bool:
        return bool(self.sessions_on(day))

    def school_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        days = []
        d = start
        while d <= end:
            if self.is_school_day(d):
                days.append(d)
            d += dt.timedelta(days=1)
        return days

    def possible_sessions(self, start: dt.date, end: dt.date) -> int:
        total = 0
        d = start
        while d <= end:
            total += len(self.sessions_on(d))
            d += dt.timedelta(days=1)
        return total

    def next_school_day(self, day: dt.date, limit_days: int = 400,
                        session: str | None = None) -> dt.date | None:
        """The first school day strictly after ``day`` (``None`` if the calendar runs out);
        with ``session`` ("AM" or "PM"), the first day that has that session."""
        d = day
        for _ in range(limit_days):
            d += dt.timedelta(days=1)
            if (session in self.sessions_on(d)) if session else self.is_school_day(d):
                return d
        return None

    def add_school_days(self, day: dt.date, n: int) -> dt.date | None:
        """The ``n``-th school day after ``day`` (``day`` itself does not count)."""
        d = day
        for _ in range(n):
            nxt = self.next_school_day(d)
            if nxt is None:
                return None
            d = nxt
        return d

    def school_days_between(self, start: dt.date, end: dt.date) -> int:
        """School days after ``start`` up to and including ``end``."""
        if end <= start:
            return 0
        return len(self.school_days(start + dt.timedelta(days=1), end))


def calendar_for(session: Session, school_id: int) -> SchoolCalendar:
    """Load a school's calendar from its ``Term`` and ``NonSchoolDay`` rows."""
    from core.models import NonSchoolDay, Term

    terms = [TermSpan(t.name, t.start_date, t.end_date)
             for t in session.scalars(select(Term).where(Term.school_id == school_id))]
    closures = {n.date: n.session for n in
                session.scalars(select(NonSchoolDay).where(NonSchoolDay.school_id == school_id))}
    return SchoolCalendar(terms, closures)


def england_terms(start_year: int) -> list[TermSpan]:
    """A typical English academic year's six half-terms, for demo data and new schools to
    edit. Real dates differ by local authority: admins set their own on the admin page."""
    sep1 = dt.date(start_year, 9, 1)
    # first Wednesday on or after 1 September, as many LAs start then
    autumn_start = sep1 + dt.timedelta(days=(2 - sep1.weekday()) % 7)

    def monday_of_week(d: dt.date) -> dt.date:
        return d - dt.timedelta(days=d.weekday())

    def friday(start: dt.date, weeks: int) -> dt.date:
        """The Friday ``weeks`` weeks after the week ``start`` falls in."""
        return monday_of_week(start) + dt.timedelta(weeks=weeks, days=4)

    a1_end = friday(autumn_start, 7)
    a2_start = monday_of_week(a1_end) + dt.timedelta(weeks=2)
    a2_end = dt.date(start_year, 12, 19) - dt.timedelta(days=(dt.date(start_year, 12, 19).weekday() - 4) % 7)
    jan = dt.date(start_year + 1, 1, 4)
    s1_start = jan + dt.timedelta(days=(7 - jan.weekday()) % 7 if jan.weekday() >= 5 else 0)
    s1_end = friday(s1_start, 5)
    s2_start = s1_end + dt.timedelta(days=10)  # a Monday after half-term
    s2_end = friday(s2_start, 5)
    u1_start = s2_end + dt.timedelta(days=17)
    u1_end = friday(u1_start, 5)
    u2_start = u1_end + dt.timedelta(days=10)
    jul = dt.date(start_year + 1, 7, 22)
    u2_end = jul - dt.timedelta(days=(jul.weekday() - 4) % 7) if jul.weekday() != 4 else jul
    return [
        TermSpan("Autumn 1", autumn_start, a1_end),
        TermSpan("Autumn 2", a2_start, a2_end),
        TermSpan("Spring 1", s1_start, s1_end),
        TermSpan("Spring 2", s2_start, s2_end),
        TermSpan("Summer 1", u1_start, u1_end),
        TermSpan("Summer 2", u2_start, u2_end),
    ]


def may_bank_holidays(year: int) -> list[dt.date]:
    """England's early-May and spring bank holidays (first and last Mondays of May)."""
    may1 = dt.date(year, 5, 1)
    first = may1 + dt.timedelta(days=(0 - may1.weekday()) % 7)
    may31 = dt.date(year, 5, 31)
    last = may31 - dt.timedelta(days=may31.weekday())
    return [first, last]
