"""Storing a firing and raising (or not) its alert.

A pattern (a rule about one pupil) alerts when it first fires; while its alert is open a
firing with new indicators updates it; once the DSL decided, it stays quiet while the
decision stands (until its review date, if one was set) unless an indicator the decision did
not cover arrives. A firing whose indicators are all in the pattern's latest firing is not
stored again: indicators leaving the window are not news.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import alerts
from core.calendar import london_today, uk_date
from core.models import Pupil
from core.signals.engine import Firing
from core.signals.models import SignalDecision, SignalFiring
from core.signals.rules import DEFAULT_RULES

ALERT_KIND = "converging_signals"
LINKED_LABEL = "A linked child at another school has recent indicators"


def rule_label(rule: str) -> str:
    if rule == "linked_elsewhere":
        return LINKED_LABEL
    return DEFAULT_RULES.get(rule, {}).get("label", rule.replace("_", " ").capitalize())


def alert_key(school_id: int, pattern_key: str) -> str:
    return f"signals:{pattern_key}"


def latest_firing(session: Session, school_id: int, pattern_key: str) -> SignalFiring | None:
    return session.scalar(select(SignalFiring).where(
        SignalFiring.school_id == school_id, SignalFiring.pattern_key == pattern_key)
        .order_by(SignalFiring.id.desc()).limit(1))


def latest_decision(session: Session, school_id: int, pattern_key: str
                    ) -> SignalDecision | None:
    return session.scalar(select(SignalDecision).where(
        SignalDecision.school_id == school_id, SignalDecision.pattern_key == pattern_key)
        .order_by(SignalDecision.id.desc()).limit(1))


def stands(decision: SignalDecision | None, today: dt.date) -> bool:
    return decision is not None and (decision.review_on is None or decision.review_on > today)


def _fingerprint(f: Firing) -> str:
    text = f.pattern_key + "|" + "|".join(sorted(f.keys))
    return hashlib.sha256(text.encode()).hexdigest()


def as_dict(i) -> dict:
    return {"kind": i.kind, "date": i.date.isoformat(), "source": i.source, "label": i.label,
            "link": i.link, "key": i.key}


def record_firing(session: Session, f: Firing, today: dt.date | None = None) -> str:
    """Store a firing and raise its alert when it is news. Returns ``new`` (stored, alert
    raised or updated), ``seen`` (nothing new), ``decided`` (the DSL's decision stands) or
    ``review_due`` (a decision's review date passed: the alert is raised again)."""
    today = today or london_today()
    decision = latest_decision(session, f.school_id, f.pattern_key)
    covered = set(decision.indicator_keys) if decision is not None else set()
    if stands(decision, today) and f.keys <= covered:
        return "decided"
    last = latest_firing(session, f.school_id, f.pattern_key)
    if last is not None and f.keys <= {i["key"] for i in last.indicators}:
        if decision is not None and decision.firing_id == last.id and not stands(decision, today):
            if decision.review_on is not None and _alert(session, f, last, review=decision):
                return "review_due"
        return "seen"
    row = SignalFiring(school_id=f.school_id, pupil_id=f.pupil_id, rule=f.rule,
                       pattern_key=f.pattern_key, fingerprint=_fingerprint(f), as_of=f.as_of,
                       indicators=[as_dict(i) for i in f.indicators],
                       relatives=[{"pupil_id": p, "school_id": s} for p, s in f.relatives])
    session.add(row)
    session.flush()
    _alert(session, f, row)
    return "new"


def _alert(session: Session, f: Firing, row: SignalFiring,
           review: SignalDecision | None = None) -> bool:
    """Raise (or update) the pattern's standing alert. A review that falls due raises it once
    (its dedupe key names the decision). Returns whether an alert was raised or updated."""
    pupil = session.get(Pupil, f.pupil_id)
    name = pupil.display_name if pupil is not None else "A pupil"
    message = (f"{name}: {rule_label(f.rule)} ({len(row.indicators)} indicator"
               f"{'s' if len(row.indicators) != 1 else ''}")
    message += f", latest {uk_date(max(dt.date.fromisoformat(i['date']) for i in row.indicators))})"
    if review is not None:
        message += f". Review date {uk_date(review.review_on)} reached"
    link = f"/schools/{f.school_id}/signals/{row.id}"
    if review is not None:
        _, new = alerts.raise_alert(session, f.school_id, ALERT_KIND, message,
                                    f"signals:review:{review.id}", plugin="core",
                                    pupil_id=f.pupil_id, link=link)
        return new
    alerts.raise_standing_alert(session, f.school_id, ALERT_KIND, message,
                                alert_key(f.school_id, f.pattern_key), plugin="core",
                                pupil_id=f.pupil_id, link=link)
    return True
