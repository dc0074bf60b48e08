"""Collecting indicators: from every plugin switched on for a school (through the one hook
``mat_indicators``), and for the linked children of those pupils at any school of the trust,
turned into indicators that name only where to ask."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.contributions import Indicator
from core.db import system_scope
from core.models import FamilyLink, Pupil, School
from core.plugins import current_host
from core.signals.indicators_core import relative_indicators


def school_indicators(session: Session, school_id: int, start: dt.date, end: dt.date,
                      pupil_ids: list[int] | None = None) -> list[Indicator]:
    """Every indicator of the school's pupils dated ``start`` to ``end``, from the core and
    the plugins on there; anything a plugin answers about another school is dropped."""
    found = current_host().call_for_school(session, school_id, "mat_indicators", start=start,
                                           end=end, pupil_ids=pupil_ids)
    wanted = None if pupil_ids is None else set(pupil_ids)
    return [i for i in found if isinstance(i, Indicator) and i.school_id == school_id
            and start <= i.date <= end and (wanted is None or i.pupil_id in wanted)]


def by_pupil(inds: list[Indicator]) -> dict[int, list[Indicator]]:
    out: dict[int, list[Indicator]] = defaultdict(list)
    for i in inds:
        out[i.pupil_id].append(i)
    return out


def family_links(session: Session, pupil_ids: set[int] | None, trust_id: int
                 ) -> dict[int, list[tuple[int, int, str, str]]]:
    """Current family links of the given pupils (all of the trust's with ``None``):
    ``pupil -> [(relative, their school, relation, their school's name)]``. System-level:
    what of it anyone sees is decided by the callers."""
    with system_scope(session, "signals: family links across the trust"):
        stmt = select(FamilyLink.pupil_id, FamilyLink.related_pupil_id, FamilyLink.relation
                      ).where(FamilyLink.trust_id == trust_id, FamilyLink.ended_on.is_(None))
        links = session.execute(stmt).all()
        if pupil_ids is not None:
            links = [r for r in links if r[0] in pupil_ids or r[1] in pupil_ids]
        if not links:
            return {}
        ids = {a for a, _, _ in links} | {b for _, b, _ in links}
        where = dict(session.execute(select(Pupil.id, Pupil.school_id).where(
            Pupil.id.in_(sorted(ids)))).all())
        names = dict(session.execute(select(School.id, School.name).where(
            School.trust_id == trust_id)).all())
    out: dict[int, list[tuple[int, int, str, str]]] = defaultdict(list)
    for a, b, relation in links:
        for me, other in ((a, b), (b, a)):
            if pupil_ids is None or me in pupil_ids:
                out[me].append((other, where[other], relation, names.get(where[other], "")))
    return out


def relatives_indicators(session: Session, links: dict[int, list[tuple[int, int, str, str]]],
                         known: dict[int, list[Indicator]], start: dt.date, end: dt.date
                         ) -> dict[int, list[Indicator]]:
    """The indicators of every linked child named in ``links`` not already in ``known``,
    asked of their own school (so a plugin off there contributes nothing)."""
    wanted: dict[int, set[int]] = defaultdict(set)
    for rels in links.values():
        for other, school, _, _ in rels:
            if other not in known:
                wanted[school].add(other)
    out = dict(known)
    with system_scope(session, "signals: linked children's indicators at their school"):
        for school, ids in sorted(wanted.items()):
            for pid, inds in by_pupil(school_indicators(session, school, start, end,
                                                        sorted(ids))).items():
                out[pid] = inds
    return out


def with_relatives(session: Session, trust_id: int, own: dict[int, list[Indicator]],
                   school_of: dict[int, int], start: dt.date, end: dt.date,
                   links: dict[int, list[tuple[int, int, str, str]]] | None = None,
                   ) -> tuple[dict[int, list[Indicator]], dict[int, list[Indicator]],
                              dict[str, tuple[int, int]]]:
    """``own`` (pupil -> indicators) with each pupil's relative indicators added; also the
    relatives' own indicators (for the notices to their school) and, for each relative
    indicator, the child it stands for."""
    if links is None:
        links = family_links(session, set(school_of), trust_id)
    theirs = relatives_indicators(session, links, own, start, end)
    merged = {pid: list(inds) for pid, inds in own.items()}
    behind: dict[str, tuple[int, int]] = {}
    for pid, rels in links.items():
        if pid not in school_of:
            continue
        extra, b = relative_indicators(pid, school_of[pid], rels, theirs)
        if extra:
            merged.setdefault(pid, []).extend(extra)
            behind.update(b)
    return merged, theirs, behind
