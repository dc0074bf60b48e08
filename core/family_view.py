"""Families across schools: children linked as family (:mod:`core.families`) who attend two or
more schools of the trust, with their combined recent indicators, and one chronology for the
whole family.

The trust safeguarding lead sees every such family and every child in it. A school's DSL team
sees the families of their own pupils, limited to what their roles let them read: a child at a
school where they cannot read case files appears only as "a child at <school>, DSL <name>",
with no name, no figures and no chronology. Every list is audited; a family chronology is
audited as a case-file read of each child whose entries it shows (``chronology.read``), plus
one ``family.chronology_read`` line naming the family.

Indicators come from the core (concerns recorded since a date) and from plugins through
``mat_pupil_indicators`` (persistent absence, Encompass notifications, open transfers), each
school's plugins asked only where they are switched on.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import LONDON, london_today
from core.chronology import pupil_chronology
from core.contributions import ChronologyItem
from core.db import system_scope
from core.errors import NotFound
from core.models import Concern, ConcernPupil, FamilyLink, Membership, Pupil, School, User
from core.models.pupils import YEAR_GROUPS
from core.plugins import current_host
from core.policy import Actor, can, require

PERIODS = {3: "the last 3 months", 6: "the last 6 months", 12: "the last 12 months"}
DEFAULT_MONTHS = 6
CONCERNS_LABEL = "Concerns recorded"


@dataclass
class Child:
    """One child of a family as the viewer may see them. ``visible`` False: only the school
    and its DSL are said (no id, no name, no figures)."""

    school_id: int
    school_name: str
    visible: bool
    dsl_names: list[str] = field(default_factory=list)
    pupil_id: int | None = None
    name: str = ""
    year: str = ""
    indicators: dict[str, int | bool] = field(default_factory=dict)

    @property
    def placeholder(self) -> str:
        dsl = ", ".join(self.dsl_names) or "no DSL recorded"
        return f"A child at {self.school_name}, DSL {dsl}"


@dataclass
class Family:
    """A family with children at two or more schools. ``key`` is the lowest pupil id in it
    that the viewer may see (the family's address in the pages)."""

    key: int
    children: list[Child]

    @property
    def schools(self) -> list[str]:
        return sorted({c.school_name for c in self.children})

    @property
    def combined(self) -> dict[str, int]:
        """Each indicator summed over the children the viewer may see (a yes counts as 1: the
        number of children persistently absent)."""
        out: dict[str, int] = {}
        for child in self.children:
            for label, value in child.indicators.items():
                out[label] = out.get(label, 0) + int(value)
        return out

    @property
    def hidden(self) -> int:
        return sum(not c.visible for c in self.children)


def since_for(months: int, today: dt.date | None = None) -> dt.date:
    """The first day counted for "the last ``months`` months"."""
    today = today or london_today()
    year, month = divmod(today.month - 1 - months, 12)
    day = min(today.day, 28)
    return dt.date(today.year + year, month + 1, day)


# --- which children form a family -------------------------------------------------------------

def _groups(session: Session, trust_id: int) -> list[set[int]]:
    """The trust's families: pupils joined by current links (a link ended is no longer a
    reason to look at two children together), grouped by union-find."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    with system_scope(session, "families across schools: the trust's links"):
        pairs = session.execute(select(FamilyLink.pupil_id, FamilyLink.related_pupil_id).where(
            FamilyLink.trust_id == trust_id, FamilyLink.ended_on.is_(None))).all()
    for a, b in pairs:
        parent[find(a)] = find(b)
    groups: dict[int, set[int]] = {}
    for pid in parent:
        groups.setdefault(find(pid), set()).add(pid)
    return list(groups.values())


def _pupils(session: Session, ids: set[int]) -> dict[int, tuple[Pupil, School]]:
    """The pupils on roll among ``ids`` with their schools (read past the caller's scope:
    what the caller may see of them is decided by :func:`_child`)."""
    if not ids:
        return {}
    with system_scope(session, "families across schools: who is in each family"):
        rows = session.execute(select(Pupil, School).join(School, School.id == Pupil.school_id)
                               .where(Pupil.id.in_(sorted(ids)), Pupil.on_roll_to.is_(None)))
        return {p.id: (p, sc) for p, sc in rows}


def _dsl_names(session: Session, school_ids: set[int]) -> dict[int, list[str]]:
    """The DSLs (not deputies) of each school, by name: what a DSL elsewhere needs to pick up
    the phone, and nothing more."""
    if not school_ids:
        return {}
    out: dict[int, list[str]] = {sid: [] for sid in school_ids}
    with system_scope(session, "families across schools: the other schools' DSLs"):
        for sid, name in session.execute(
                select(Membership.school_id, User.name).join(User, User.id == Membership.user_id)
                .where(Membership.school_id.in_(sorted(school_ids)), Membership.role == "dsl",
                       User.active.is_(True)).order_by(User.name)):
            out[sid].append(name)
    return out


def _multi_school(group: set[int], pupils: dict[int, tuple[Pupil, School]]) -> bool:
    return len({pupils[p][1].id for p in group if p in pupils}) >= 2


# --- indicators -------------------------------------------------------------------------------

def _concern_counts(session: Session, pupil_ids: list[int], since: dt.date) -> dict[int, int]:
    if not pupil_ids:
        return {}
    start = dt.datetime.combine(since, dt.time.min, LONDON)
    return dict(session.execute(
        select(ConcernPupil.pupil_id, func.count(func.distinct(Concern.id)))
        .join(Concern, and_(Concern.id == ConcernPupil.concern_id,
                            Concern.school_id == ConcernPupil.school_id))
        .where(ConcernPupil.pupil_id.in_(pupil_ids), Concern.occurred_at >= start)
        .group_by(ConcernPupil.pupil_id)).all())


def indicators(session: Session, school_id: int, pupil_ids: list[int],
               since: dt.date) -> dict[int, dict[str, int | bool]]:
    """Each pupil's recent indicators, label -> value: concerns recorded since ``since`` and
    whatever the school's switched-on plugins contribute."""
    out: dict[int, dict[str, int | bool]] = {pid: {} for pid in pupil_ids}
    concerns = _concern_counts(session, pupil_ids, since)
    for pid in pupil_ids:
        out[pid][CONCERNS_LABEL] = int(concerns.get(pid, 0))
    for item in current_host().call_for_school(session, school_id, "mat_pupil_indicators",
                                               pupil_ids=list(pupil_ids), since=since):
        if item.pupil_id in out:
            out[item.pupil_id][item.label] = item.value
    return out


# --- what a viewer sees -----------------------------------------------------------------------

def _build(session: Session, actor: Actor, group: set[int],
           pupils: dict[int, tuple[Pupil, School]], dsls: dict[int, list[str]],
           since: dt.date) -> Family:
    children: list[Child] = []
    by_school: dict[int, list[int]] = {}
    for pid in sorted(p for p in group if p in pupils):
        pupil, school = pupils[pid]
        if can(actor, "casefile.read", school.id):
            by_school.setdefault(school.id, []).append(pid)
            children.append(Child(school.id, school.name, True, dsls.get(school.id, []), pid,
                                  pupil.display_name, YEAR_GROUPS.get(pupil.year_group, "")))
        else:
            children.append(Child(school.id, school.name, False, dsls.get(school.id, [])))
    found: dict[int, dict] = {}
    for sid, ids in by_school.items():
        found.update(indicators(session, sid, ids, since))
    for child in children:
        if child.visible:
            child.indicators = found.get(child.pupil_id, {})
    children.sort(key=lambda c: (not c.visible, c.school_name, c.name))
    key = min(c.pupil_id for c in children if c.visible)
    return Family(key, children)


def trust_families(session: Session, actor: Actor, trust_id: int,
                   months: int = DEFAULT_MONTHS) -> list[Family]:
    """Every family of the trust with children on roll at two or more of its schools, each
    child with their indicators over the last ``months`` months (trust lead). Families with
    the most concerns come first. The read is audited on the trust's chain."""
    require(actor, "trust.families", trust_id=trust_id)
    since = since_for(months)
    groups = _groups(session, trust_id)
    pupils = _pupils(session, set().union(*groups) if groups else set())
    wanted = [g for g in groups if _multi_school(g, pupils)]
    dsls = _dsl_names(session, {pupils[p][1].id for g in wanted for p in g if p in pupils})
    out = [_build(session, actor, g, pupils, dsls, since) for g in wanted]
    out.sort(key=lambda f: (-f.combined.get(CONCERNS_LABEL, 0), f.key))
    audit.record(session, "family.across_schools_read", actor=actor, object_type="trust",
                 object_id=trust_id, trust_id=trust_id,
                 detail={"families": len(out), "months": months})
    return out


def school_families(session: Session, actor: Actor, school_id: int,
                    months: int = DEFAULT_MONTHS) -> list[Family]:
    """The families of a school's pupils that reach into another school of the trust, for
    its DSL team (case-file readers): children where they may not read case files are
    placeholders. Audited on the school's chain."""
    require(actor, "casefile.read", school_id)
    trust_id = actor.school_trust.get(school_id)
    if trust_id is None:
        raise NotFound("school")
    since = since_for(months)
    groups = _groups(session, trust_id)
    pupils = _pupils(session, set().union(*groups) if groups else set())
    wanted = [g for g in groups if _multi_school(g, pupils)
              and any(pupils[p][1].id == school_id for p in g if p in pupils)]
    dsls = _dsl_names(session, {pupils[p][1].id for g in wanted for p in g if p in pupils})
    out = [_build(session, actor, g, pupils, dsls, since) for g in wanted]
    out.sort(key=lambda f: (-f.combined.get(CONCERNS_LABEL, 0), f.key))
    audit.record(session, "family.across_schools_read", actor=actor, object_type="school",
                 object_id=school_id, school_id=school_id,
                 detail={"families": len(out), "months": months})
    return out


def find_family(session: Session, actor: Actor, pupil_id: int, months: int = DEFAULT_MONTHS,
                school_id: int | None = None) -> Family:
    """The family of ``pupil_id``, a child the actor may read, linked to at least one other
    child on roll (the lists show only families across schools; a family at one school opens
    the same way). With ``school_id`` (a DSL's page) the child must be at that school.
    Anything else is :class:`NotFound`."""
    with system_scope(session, "families across schools: the child asked about"):
        row = session.get(Pupil, pupil_id)
        trust_id = row.trust_id if row is not None else None
        child_school = row.school_id if row is not None else None
    if row is None or (school_id is not None and child_school != school_id) \
            or not can(actor, "casefile.read", child_school):
        raise NotFound("family")
    group = next((g for g in _groups(session, trust_id) if pupil_id in g), None)
    if group is None:
        raise NotFound("family")
    pupils = _pupils(session, group)
    if len(pupils) < 2 or pupil_id not in pupils:
        raise NotFound("family")
    dsls = _dsl_names(session, {pupils[p][1].id for p in group if p in pupils})
    return _build(session, actor, group, pupils, dsls, since_for(months))


@dataclass(frozen=True)
class FamilyEntry:
    """A line of the family chronology: whose it is (a child the viewer may read) and the
    chronology item."""

    child: str
    school_name: str
    item: ChronologyItem


def family_chronology(session: Session, actor: Actor, family: Family,
                      start: dt.date | None = None,
                      end: dt.date | None = None) -> list[FamilyEntry]:
    """Each visible child's chronology merged into one, newest first, each line naming the
    child. Every child's part is read through :func:`core.chronology.pupil_chronology`, so
    it is audited as a case-file read of that child; one more line records the family."""
    out: list[FamilyEntry] = []
    for child in family.children:
        if not child.visible:
            continue
        for item in pupil_chronology(session, actor, child.school_id, child.pupil_id,
                                     start=start, end=end):
            out.append(FamilyEntry(child.name, child.school_name, item))
    out.sort(key=lambda e: e.item.at, reverse=True)
    visible = [c for c in family.children if c.visible]
    audit.record(session, "family.chronology_read", actor=actor, object_type="pupil",
                 object_id=family.key, school_id=visible[0].school_id,
                 detail={"pupils": [c.pupil_id for c in visible],
                         "not_shown": family.hidden})
    return out
