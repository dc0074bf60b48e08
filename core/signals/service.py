"""What pages, the API and the CLI call: the school's firings, one firing as its DSL reads it,
the DSL's decision, and the trust lead's view of a family across schools.

A school's DSL sees their own pupil's indicators in full. A linked child at another school
appears as a name, a school and that school's DSL team (whom to call), never as their
indicators: that is the other school's case detail. The trust lead sees every member of the
family with their indicators, and that read is audited.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import alerts, audit
from core.calendar import london_today
from core.contributions import ChronologyItem
from core.db import get_in_school, system_scope
from core.errors import NotFound, ValidationError
from core.models import Membership, Pupil, School, User
from core.policy import Actor, can, require
from core.pupils import get_pupil
from core.signals import gather, store
from core.signals.models import OUTCOMES, SignalDecision, SignalFiring
from core.signals.rules import rules_for, window_of

MAX_REASON = 2000
RELATIVE_KINDS = ("core.relative", "core.relative_elsewhere")


@dataclass
class FiringView:
    firing: SignalFiring
    pupil: Pupil
    label: str
    decisions: list[SignalDecision]
    relatives: list[dict]

    @property
    def decided(self) -> bool:
        return bool(self.decisions) and self.decisions[-1].firing_id == self.firing.id

    @property
    def own(self) -> list[dict]:
        """The pupil's own indicators, oldest first."""
        return [i for i in self.shown if i["kind"] not in RELATIVE_KINDS]

    @property
    def relative_lines(self) -> list[str]:
        """What the linked children's indicators say, once per line (no dates: theirs)."""
        return list(dict.fromkeys(i["label"] for i in self.shown
                                  if i["kind"] in RELATIVE_KINDS))

    @property
    def shown(self) -> list[dict]:
        """The indicators, oldest first, with their dates as dates (pages leave a linked
        child's date out: theirs to tell)."""
        return sorted(({**i, "date": dt.date.fromisoformat(i["date"])}
                       for i in self.firing.indicators), key=lambda i: (i["date"], i["kind"]))


def _decisions(session: Session, school_id: int, pattern_key: str) -> list[SignalDecision]:
    return list(session.scalars(select(SignalDecision).where(
        SignalDecision.school_id == school_id, SignalDecision.pattern_key == pattern_key)
        .order_by(SignalDecision.decided_at, SignalDecision.id)))


def dsl_team(session: Session, school_id: int) -> list[dict]:
    """The DSL and deputies of a school, by name and email: whom another school calls."""
    with system_scope(session, "signals: the other school's DSL team"):
        rows = session.execute(select(User.name, User.email, Membership.role).join(
            Membership, Membership.user_id == User.id).where(
            Membership.school_id == school_id, Membership.role.in_(("dsl", "deputy_dsl")),
            User.active.is_(True)).order_by(Membership.role, User.name)).all()
    return [{"name": n, "email": e, "role": "DSL" if r == "dsl" else "Deputy DSL"}
            for n, e, r in rows]


def _relatives(session: Session, firing: SignalFiring) -> list[dict]:
    out = []
    for rel in firing.relatives:
        with system_scope(session, "signals: a linked child's name and school"):
            other = session.get(Pupil, rel["pupil_id"])
            school = session.get(School, rel["school_id"])
        if other is None or school is None:
            continue
        out.append({"pupil_id": other.id, "name": other.display_name, "school_id": school.id,
                    "school_name": school.name, "dsl_team": dsl_team(session, school.id)})
    return out


def open_firings(session: Session, actor: Actor, school_id: int, pupil_id: int | None = None,
                 limit: int = 50) -> list[FiringView]:
    """The latest firing of each pattern of the school (or of one pupil) awaiting the DSL's
    decision, newest first. For case-file readers of the school."""
    require(actor, "casefile.read", school_id)
    stmt = select(SignalFiring).where(SignalFiring.school_id == school_id)
    if pupil_id is not None:
        stmt = stmt.where(SignalFiring.pupil_id == pupil_id)
    rows = list(session.scalars(stmt.order_by(SignalFiring.id.desc()).limit(2000)))
    latest: dict[str, SignalFiring] = {}
    for r in rows:
        latest.setdefault(r.pattern_key, r)
    today = london_today()
    out = []
    for r in latest.values():
        decision = store.latest_decision(session, school_id, r.pattern_key)
        if decision is not None and decision.firing_id == r.id and store.stands(decision, today):
            continue
        out.append(_view(session, r, [decision] if decision else []))
        if len(out) >= limit:
            break
    return out


def _view(session: Session, firing: SignalFiring, decisions: list[SignalDecision]
          ) -> FiringView:
    pupil = session.get(Pupil, firing.pupil_id)
    return FiringView(firing, pupil, store.rule_label(firing.rule), decisions,
                      _relatives(session, firing))


def firing(session: Session, actor: Actor, school_id: int, firing_id: int) -> FiringView:
    """One firing with the pattern's decisions, for a case-file reader of its school. The
    read is audited, like any read of the case file."""
    require(actor, "casefile.read", school_id)
    row = get_in_school(session, SignalFiring, firing_id, school_id, "converging signals")
    view = _view(session, row, _decisions(session, school_id, row.pattern_key))
    audit.record(session, "signals.read", actor=actor, object_type="signal_firing",
                 object_id=row.id, school_id=school_id, detail={"pupil_id": row.pupil_id})
    return view


def decide(session: Session, actor: Actor, school_id: int, firing_id: int, *, outcome: str,
           reason: str, review_on: dt.date | None = None) -> SignalDecision:
    """Record the DSL team's decision on a firing, and why (append-only, audited). The
    pattern's alert is resolved; it alerts again only for an indicator this decision did not
    cover, or once ``review_on`` (if given) is reached."""
    require(actor, "casefile.write", school_id)
    row = get_in_school(session, SignalFiring, firing_id, school_id, "converging signals")
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = ["choose one of: " + ", ".join(OUTCOMES.values())]
    if not reason:
        errors["reason"] = ["say why: what you checked and what you concluded"]
    elif len(reason) > MAX_REASON:
        errors["reason"] = [f"must be at most {MAX_REASON} characters"]
    if review_on is not None and not isinstance(review_on, dt.date):
        errors["review_on"] = ["must be a date"]
    elif review_on is not None and review_on <= london_today():
        errors["review_on"] = ["must be after today"]
    latest = store.latest_firing(session, school_id, row.pattern_key)
    if latest is not None and latest.id != row.id:
        errors["firing"] = ["newer indicators have arrived: decide on the latest alert"]
    if errors:
        raise ValidationError(errors)
    user_name = ""
    if actor.user_id is not None:
        with system_scope(session, "signals: the decider's name"):
            user_name = session.scalar(select(User.name).where(User.id == actor.user_id)) or ""
    d = SignalDecision(school_id=school_id, firing_id=row.id, pupil_id=row.pupil_id,
                       pattern_key=row.pattern_key, outcome=outcome, reason=reason,
                       review_on=review_on, indicator_keys=[i["key"] for i in row.indicators],
                       decided_by_id=actor.user_id, decided_by_name=user_name[:200])
    session.add(d)
    session.flush()
    alerts.resolve(session, school_id, store.alert_key(school_id, row.pattern_key))
    audit.record(session, "signals.decided", actor=actor, object_type="signal_firing",
                 object_id=row.id, school_id=school_id,
                 detail={"pupil_id": row.pupil_id, "outcome": outcome, "rule": row.rule,
                         "review_on": review_on.isoformat() if review_on else None})
    return d


def chronology_entries(session: Session, school_id: int, pupil_id: int, start: dt.date | None,
                       end: dt.date | None) -> list[ChronologyItem]:
    """The pupil's converging-signals alerts and the DSL's decisions, for the chronology."""
    from core.calendar import LONDON

    items = []
    for f in session.scalars(select(SignalFiring).where(
            SignalFiring.school_id == school_id, SignalFiring.pupil_id == pupil_id)):
        items.append(ChronologyItem(
            "core", "signals", f.created_at, f"Converging signals: {store.rule_label(f.rule)}",
            "; ".join(f"{i['label']}" for i in f.indicators),
            f"/schools/{school_id}/signals/{f.id}"))
    for d in session.scalars(select(SignalDecision).where(
            SignalDecision.school_id == school_id, SignalDecision.pupil_id == pupil_id)):
        items.append(ChronologyItem(
            "core", "signals:decision", d.decided_at,
            f"Converging signals decision: {OUTCOMES.get(d.outcome, d.outcome)} by "
            f"{d.decided_by_name or 'the DSL team'}", d.reason,
            f"/schools/{school_id}/signals/{d.firing_id}"))

    def inside(at: dt.datetime) -> bool:
        day = at.astimezone(LONDON).date()
        return (start is None or day >= start) and (end is None or day <= end)
    return [i for i in items if inside(i.at)]


# --- the trust lead --------------------------------------------------------------------------

def trust_firings(session: Session, actor: Actor, trust_id: int, limit: int = 100
                  ) -> list[tuple[SignalFiring, Pupil, School]]:
    """The trust's latest firings across its schools (trust lead), newest first."""
    require(actor, "signals.family", trust_id=trust_id)
    with system_scope(session, "signals: the trust lead's list"):
        return list(session.execute(
            select(SignalFiring, Pupil, School)
            .join(Pupil, Pupil.id == SignalFiring.pupil_id)
            .join(School, School.id == SignalFiring.school_id)
            .where(School.trust_id == trust_id)
            .order_by(SignalFiring.id.desc()).limit(limit)).all())


def family_view(session: Session, actor: Actor, trust_id: int, firing_id: int) -> dict:
    """The whole family behind a firing, each child with their school and indicators of the
    window (trust lead only; audited). Another trust's firing is :class:`NotFound`."""
    require(actor, "signals.family", trust_id=trust_id)
    with system_scope(session, "signals: the trust lead's family view"):
        row = session.get(SignalFiring, firing_id)
        if row is None or row.trust_id != trust_id:
            raise NotFound("converging signals")
        rules = rules_for(session, trust_id)
        start = row.as_of - dt.timedelta(days=window_of(rules))
        members = {row.pupil_id: row.school_id}
        for rel in gather.family_links(session, {row.pupil_id}, trust_id).get(row.pupil_id, []):
            members[rel[0]] = rel[1]
        family = []
        for pid, sid in members.items():
            pupil, school = session.get(Pupil, pid), session.get(School, sid)
            inds = gather.school_indicators(session, sid, start, row.as_of, [pid])
            quiet = sorted(i.date for i in inds if i.kind == "attendance.unexplained_day")
            family.append({"pupil": pupil, "school": school,
                           "indicators": sorted((i for i in inds
                                                 if i.kind != "attendance.unexplained_day"),
                                                key=lambda i: (i.date, i.kind)),
                           "unexplained_days": quiet,
                           "dsl_team": dsl_team(session, sid)})
    audit.record(session, "signals.family_read", actor=actor, object_type="signal_firing",
                 object_id=row.id, trust_id=trust_id,
                 detail={"pupils": sorted(members), "schools": sorted(set(members.values()))})
    return {"firing": row, "label": store.rule_label(row.rule), "family": family,
            "start": start, "end": row.as_of}


def can_tune(actor: Actor, trust_id: int) -> bool:
    return can(actor, "signals.rules", trust_id=trust_id)
