"""The trust's figures over terms and years, for the trust lead's trends and sparklines.

A school year has three terms here, as schools and the DfE's statistics count them: autumn
from 1 September, spring from the first spring term day, summer from the first summer term
day, to 31 August. The boundaries come from the trust's school calendars (the earliest
"Spring..." and "Summer..." term any school of the trust has set that year) and, where no
school has set them, from 1 January and Easter Sunday. The terms are contiguous, so a concern
recorded in a holiday counts in the term before it.

Each term's figures are the trust overview's for that term (:func:`core.overview.trust_overview`,
so the same rules and the same plugins, audited as a read of the overview); the trust median
is the median of the schools that have a figure.
"""
from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calendar import TermSpan, academic_year_start
from core.models import School, Term
from core.overview import Overview, trust_overview
from core.policy import Actor

SEASONS = ("Autumn", "Spring", "Summer")


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday of ``year`` (the Gregorian computus, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _season_starts(session: Session, school_ids: list[int], start_year: int
                   ) -> dict[str, dt.date]:
    """The first day of spring and summer in the trust's calendars that year, if set."""
    first, last = dt.date(start_year, 9, 1), dt.date(start_year + 1, 8, 31)
    found: dict[str, dt.date] = {}
    if not school_ids:
        return found
    for name, start in session.execute(select(Term.name, Term.start_date).where(
            Term.school_id.in_(school_ids), Term.start_date >= first,
            Term.start_date <= last)):
        season = next((s for s in SEASONS[1:] if name.strip().lower().startswith(s.lower())),
                      None)
        if season and (season not in found or start < found[season]):
            found[season] = start
    return found


def year_terms(session: Session, school_ids: list[int], start_year: int) -> list[TermSpan]:
    """The three terms of the academic year beginning in September ``start_year``."""
    found = _season_starts(session, school_ids, start_year)
    spring = found.get("Spring", dt.date(start_year + 1, 1, 1))
    summer = found.get("Summer", easter_sunday(start_year + 1))
    if not spring < summer:  # calendars set in a muddle: fall back rather than lose a term
        spring, summer = dt.date(start_year + 1, 1, 1), easter_sunday(start_year + 1)
    label = f"{start_year}/{(start_year + 1) % 100:02d}"
    return [TermSpan(f"Autumn {label}", dt.date(start_year, 9, 1), spring - dt.timedelta(1)),
            TermSpan(f"Spring {label}", spring, summer - dt.timedelta(1)),
            TermSpan(f"Summer {label}", summer, dt.date(start_year + 1, 8, 31))]


def recent_terms(session: Session, school_ids: list[int], today: dt.date,
                 count: int = 6) -> list[TermSpan]:
    """The term ``today`` falls in and the ``count - 1`` before it, oldest first; the current
    term ends today (its figures so far)."""
    year = academic_year_start(today)
    terms: list[TermSpan] = []
    while len([t for t in terms if t.start <= today]) < count:
        terms = year_terms(session, school_ids, year) + terms
        year -= 1
    started = [t for t in terms if t.start <= today][-count:]
    last = started[-1]
    started[-1] = TermSpan(last.name, last.start, min(last.end, today))
    return started


def terms_between(session: Session, school_ids: list[int], first_year: int,
                  last_year: int, today: dt.date) -> list[TermSpan]:
    """Every term of the academic years ``first_year`` to ``last_year`` that has started by
    ``today`` (the current one ending today), oldest first."""
    terms = [t for y in range(first_year, last_year + 1)
             for t in year_terms(session, school_ids, y) if t.start <= today]
    if terms and terms[-1].end > today:
        terms[-1] = TermSpan(terms[-1].name, terms[-1].start, today)
    return terms


def median(values: list[float | None]) -> float | None:
    """The median of the figures there are (``None`` when there are none)."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


@dataclass
class Trend:
    """Figures per term: ``values[school_id][key]`` is a list aligned with ``terms``;
    ``medians[key]`` the trust median per term."""

    terms: list[TermSpan]
    schools: list[School]
    overviews: list[Overview]
    values: dict[int, dict[str, list[float | None]]]
    medians: dict[str, list[float | None]]

    def definitions(self):
        """Every column any term had, in the first term's order then new ones."""
        seen: dict[str, object] = {}
        for ov in self.overviews:
            for d in ov.definitions:
                seen.setdefault(f"{d.plugin}.{d.key}", d)
        return list(seen.values())


def trust_trend(session: Session, actor: Actor, trust_id: int,
                terms: list[TermSpan]) -> Trend:
    """The trust overview for each term (trust lead only, each read audited as the
    overview's), arranged per school and column, with the trust median per term."""
    overviews = [trust_overview(session, actor, trust_id, t.start, t.end) for t in terms]
    schools = overviews[-1].schools if overviews else []
    keys = {k for ov in overviews for c in ov.cells.values() for k in c}
    values = {sc.id: {k: [ov.cells.get(sc.id, {}).get(k) for ov in overviews] for k in keys}
              for sc in schools}
    medians = {k: [median([ov.cells[sid].get(k) for sid in ov.cells]) for ov in overviews]
               for k in keys}
    return Trend(terms, schools, overviews, values, medians)
