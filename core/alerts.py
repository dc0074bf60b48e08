"""Alerts for a school's DSL: raised by the core and by plugins, marked read when looked at,
and always findable afterwards.

Two kinds, by what the caller means:

- an **event** (a police notification, a transfer gone overdue) is :func:`raise_alert`, keyed
  per event, so a job run twice alerts once;
- a **standing condition** about a pupil (concerns accumulating) is
  :func:`raise_standing_alert`, keyed per pupil and rule: while that alert is open, firing again
  updates it (count, latest message, concern and link) instead of adding another, so a pupil
  past a threshold is one alert, not one per concern.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.db import get_in_school, utcnow
from core.models import Alert
from core.policy import Actor, require


def raise_alert(session: Session, school_id: int, kind: str, message: str, dedupe_key: str, *,
                plugin: str = "core", pupil_id: int | None = None,
                concern_id: int | None = None, link: str | None = None) -> tuple[Alert, bool]:
    """Raise an alert for an event unless one with the same ``dedupe_key`` exists for the
    school (so a job run twice alerts once); the existing one is left as it is, even when
    resolved. Returns the alert and whether it is new."""
    existing = session.scalar(select(Alert).where(Alert.school_id == school_id,
                                                  Alert.dedupe_key == dedupe_key))
    if existing is not None:
        return existing, False
    now = utcnow()
    alert = Alert(school_id=school_id, kind=kind, message=message[:500], dedupe_key=dedupe_key,
                  plugin=plugin, pupil_id=pupil_id, concern_id=concern_id, link=link,
                  created_at=now, last_raised_at=now)
    session.add(alert)
    session.flush()
    return alert, True


def raise_standing_alert(session: Session, school_id: int, kind: str, message: str,
                         rule_key: str, *, plugin: str = "core", pupil_id: int | None = None,
                         concern_id: int | None = None,
                         link: str | None = None) -> tuple[Alert, bool]:
    """Raise the standing alert ``rule_key`` (one per pupil and rule, e.g.
    ``accumulation:<pupil id>``) or, while it is open, update it: ``count`` goes up and the
    message, concern, link and ``last_raised_at`` become the latest. Returns the alert and
    whether it is new.

    The open alert holds ``rule_key`` itself as its dedupe key, so the unique key on
    (school, dedupe key) allows one open alert per rule. Once resolved, the next firing moves
    the old alert's key to ``<rule_key>@<its id>`` and opens a new alert. Two transactions
    firing at once: the row lock makes the second update after the first; if both insert, the
    loser's insert fails on the unique key inside a savepoint and it updates the winner's.

    New evidence on an alert the DSL has read makes it unread again, so it comes back to their
    attention. The earlier reading is not lost: an ``alert.reraised`` audit entry keeps who
    read it and when (opening an alert is audited as ``alert.read`` too)."""
    for _ in range(3):
        current = session.scalar(
            select(Alert).where(Alert.school_id == school_id, Alert.dedupe_key == rule_key)
            .with_for_update().execution_options(populate_existing=True))
        if current is not None and current.resolved_at is None:
            _raise_again(session, current, message, concern_id, link)
            return current, False
        now = utcnow()
        try:
            with session.begin_nested():
                if current is not None:
                    current.dedupe_key = f"{rule_key}@{current.id}"
                    session.flush()
                alert = Alert(school_id=school_id, kind=kind, message=message[:500],
                              dedupe_key=rule_key, plugin=plugin, pupil_id=pupil_id,
                              concern_id=concern_id, link=link, created_at=now,
                              last_raised_at=now)
                session.add(alert)
                session.flush()
            return alert, True
        except IntegrityError:
            # another transaction opened it first: go round and update theirs (anything
            # else that broke the insert is the caller's to see)
            if session.scalar(select(Alert.id).where(
                    Alert.school_id == school_id, Alert.dedupe_key == rule_key,
                    Alert.resolved_at.is_(None))) is None:
                raise
    raise RuntimeError(f"could not raise standing alert {rule_key!r}")


def _raise_again(session: Session, alert: Alert, message: str, concern_id: int | None,
                 link: str | None) -> None:
    if alert.read_at is not None:
        audit.record(session, "alert.reraised", object_type="alert", object_id=alert.id,
                     school_id=alert.school_id,
                     detail={"count": alert.count + 1, "was_read_at": alert.read_at.isoformat(),
                             "was_read_by_id": alert.read_by_id})
        alert.read_at = None
        alert.read_by_id = None
    alert.count += 1  # the row is locked (FOR UPDATE) and freshly read, so no update is lost
    alert.message = message[:500]
    alert.concern_id = concern_id
    alert.link = link
    alert.last_raised_at = utcnow()
    session.flush()


def list_alerts(session: Session, actor: Actor, school_id: int, *, read: bool | None = None,
                plugin: str | None = None, limit: int = 200) -> list[Alert]:
    """Newest first: only unread ones (``read=False``), only read ones (``True``) or all,
    filtered in the query so the limit applies to what is shown. A standing alert raised
    again counts as new from then on (``last_raised_at``)."""
    require(actor, "dashboard.view", school_id)
    stmt = select(Alert).where(Alert.school_id == school_id)
    if read is not None:
        stmt = stmt.where(Alert.read_at.is_not(None) if read else Alert.read_at.is_(None))
    if plugin:
        stmt = stmt.where(Alert.plugin == plugin)
    return list(session.scalars(stmt.order_by(Alert.last_raised_at.desc(), Alert.id.desc())
                                .limit(limit)))


def mark_read(session: Session, actor: Actor, school_id: int, alert_id: int) -> Alert:
    require(actor, "dashboard.view", school_id)
    alert = get_in_school(session, Alert, alert_id, school_id, "alert")
    if alert.read_at is None:
        alert.read_at = utcnow()
        alert.read_by_id = actor.user_id
        session.flush()
    return alert


def resolve(session: Session, school_id: int, dedupe_key: str) -> None:
    """Mark an alert resolved (its condition no longer holds); it is kept, not deleted. For a
    standing alert give its ``rule_key``: the open one is resolved, and the next firing opens
    a new alert."""
    alert = session.scalar(select(Alert).where(Alert.school_id == school_id,
                                               Alert.dedupe_key == dedupe_key))
    if alert is not None and alert.resolved_at is None:
        alert.resolved_at = utcnow()
        session.flush()
