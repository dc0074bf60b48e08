"""The core's indicators: concerns (with their categories and the latest risk given at
triage), safeguarding flags starting or ending, and the derived one, a linked child with
recent indicators.

Flags that describe a need rather than a safeguarding status (SEN support, pupil premium,
EAL...) are left out: their start says nothing about risk. A relative's indicator is turned
into one that names no kind, date detail or label of theirs: only that a linked child (and at
which school) has one, so a school's DSL learns where to ask, never the other file.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from core.calendar import LONDON
from core.contributions import Indicator
from core.models import (Concern, ConcernCategory, ConcernCategoryLink, ConcernEntry,
                         ConcernPupil, PupilFlag)
from core.models.pupils import FLAGS
from core.signals.rules import QUIET_KINDS

CORE = "core"
SAFEGUARDING_FLAGS = ("cp_plan", "cin", "looked_after", "early_help")
RELATIVE_LABELS = {
    "sibling": "sibling", "half_sibling": "half-sibling", "step_sibling": "step-sibling",
    "cousin": "cousin", "same_household": "household member", "other": "family member",
}


def core_indicators(session: Session, school_id: int, start: dt.date, end: dt.date,
                    pupil_ids: list[int] | None = None) -> list[Indicator]:
    """Concerns and flag changes of the school's pupils dated ``start`` to ``end``. A concern
    a plugin recorded for its own event (Encompass opens one per notification) is that
    event again, already the plugin's indicator: only concerns people recorded count."""
    return (_concerns(session, school_id, start, end, pupil_ids)
            + _flags(session, school_id, start, end, pupil_ids))


def _concerns(session, school_id, start, end, pupil_ids) -> list[Indicator]:
    lo = dt.datetime.combine(start, dt.time.min, LONDON)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, LONDON)
    stmt = (select(ConcernPupil.pupil_id, Concern.id, Concern.occurred_at)
            .join(Concern, and_(Concern.id == ConcernPupil.concern_id,
                                Concern.school_id == ConcernPupil.school_id))
            .where(ConcernPupil.school_id == school_id, Concern.occurred_at >= lo,
                   Concern.occurred_at < hi, Concern.source == "staff"))
    if pupil_ids is not None:
        stmt = stmt.where(ConcernPupil.pupil_id.in_(list(pupil_ids)))
    rows = session.execute(stmt).all()
    if not rows:
        return []
    ids = sorted({cid for _, cid, _ in rows})
    cats: dict[int, list[str]] = defaultdict(list)
    for cid, label in session.execute(
            select(ConcernCategoryLink.concern_id, ConcernCategory.label)
            .join(ConcernCategory, ConcernCategory.id == ConcernCategoryLink.category_id)
            .where(ConcernCategoryLink.concern_id.in_(ids))):
        cats[cid].append(label)
    risk: dict[int, str] = {}
    for cid, level in session.execute(
            select(ConcernEntry.concern_id, ConcernEntry.risk_level)
            .where(ConcernEntry.concern_id.in_(ids), ConcernEntry.kind == "triage")
            .order_by(ConcernEntry.created_at, ConcernEntry.id)):
        risk[cid] = level or risk.get(cid, "")
    out = []
    for pid, cid, at in rows:
        label = "Concern recorded"
        if cats.get(cid):
            label += ": " + ", ".join(sorted(cats[cid]))
        label += f" ({risk[cid]} risk)" if risk.get(cid) else " (not triaged yet)"
        out.append(Indicator(pid, school_id, "core.concern", at.astimezone(LONDON).date(), CORE,
                             label, f"/schools/{school_id}/concerns/{cid}", str(cid)))
    return out


def _flags(session, school_id, start, end, pupil_ids) -> list[Indicator]:
    stmt = select(PupilFlag).where(PupilFlag.school_id == school_id,
                                   PupilFlag.flag.in_(SAFEGUARDING_FLAGS))
    if pupil_ids is not None:
        stmt = stmt.where(PupilFlag.pupil_id.in_(list(pupil_ids)))
    out = []
    for f in session.scalars(stmt):
        link = f"/schools/{school_id}/pupils/{f.pupil_id}#flags"
        name = FLAGS.get(f.flag, f.flag)
        if start <= f.start_date <= end:
            out.append(Indicator(f.pupil_id, school_id, "core.flag_started", f.start_date, CORE,
                                 f"{name} started", link, f"{f.id}:start"))
        if f.end_date and start <= f.end_date <= end:
            out.append(Indicator(f.pupil_id, school_id, "core.flag_ended", f.end_date, CORE,
                                 f"{name} ended", link, f"{f.id}:end"))
    return out


def relative_indicators(pupil_id: int, school_id: int, relatives: list[tuple[int, int, str, str]],
                        theirs: dict[int, list[Indicator]]
                        ) -> tuple[list[Indicator], dict[str, tuple[int, int]]]:
    """For one pupil, an indicator per recent indicator of each linked child (``relatives``:
    ``(pupil_id, school_id, relation, school_name)``), saying only that a linked child at
    that school has one. Returns them and, for each, which child it stands for."""
    out, behind = [], {}
    for other_id, other_school, relation, school_name in relatives:
        for theirs_one in theirs.get(other_id, []):
            if theirs_one.kind in QUIET_KINDS:
                continue
            elsewhere = other_school != school_id
            kind = "core.relative_elsewhere" if elsewhere else "core.relative"
            where = f"at {school_name}" if elsewhere else "at this school"
            # the ref changes when they have a new indicator, and says nothing of it
            ref = f"{other_id}:" + hashlib.sha256(theirs_one.key.encode()).hexdigest()[:12]
            ind = Indicator(pupil_id, school_id, kind, theirs_one.date, CORE,
                            f"A linked child ({RELATIVE_LABELS.get(relation, relation)}) "
                            f"{where} has a recent indicator", None, ref)
            out.append(ind)
            behind[ind.key] = (other_id, other_school)
    return out, behind
