"""Alerts for a school's DSL: raised by the core and by plugins, idempotent by a dedupe key,
marked read when looked at, and always findable afterwards."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.errors import NotFound
from core.models import Alert
from core.policy import Actor, require


def raise_alert(session: Session, school_id: int, kind: str, message: str, dedupe_key: str, *,
                plugin: str = "core", pupil_id: int | None = None,
                concern_id: int | None = None, link: str | None = None) -> tuple[Alert, bool]:
    """Raise an alert unless one with the same ``dedupe_key`` exists for the school (so a job
    run twice alerts once). Returns the alert and whether it is new."""
    existing = session.scalar(select(Alert).where(Alert.school_id == school_id,
                                                  Alert.dedupe_key == dedupe_key))
    if existing is not None:
        return existing, False
    alert = Alert(school_id=school_id, kind=kind, message=message[:500], dedupe_key=dedupe_key,
                  plugin=plugin, pupil_id=pupil_id, concern_id=concern_id, link=link)
    session.add(alert)
    session.flush()
    return alert, True


def list_alerts(session: Session, actor: Actor, school_id: int, *, read: bool | None = None,
                plugin: str | None = None, limit: int = 200) -> list[Alert]:
    """Newest first: only unread ones (``read=False``), only read ones (``True``) or all,
    filtered in the query so the limit applies to what is shown."""
    require(actor, "dashboard.view", school_id)
    stmt = select(Alert).where(Alert.school_id == school_id)
    if read is not None:
        stmt = stmt.where(Alert.read_at.is_not(None) if read else Alert.read_at.is_(None))
    if plugin:
        stmt = stmt.where(Alert.plugin == plugin)
    return list(session.scalars(stmt.order_by(Alert.created_at.desc(), Alert.id.desc())
                                .limit(limit)))


def mark_read(session: Session, actor: Actor, school_id: int, alert_id: int) -> Alert:
    require(actor, "dashboard.view", school_id)
    alert = session.get(Alert, alert_id)
    if alert is None or alert.school_id != school_id:
        raise NotFound("alert")
    if alert.read_at is None:
        alert.read_at = utcnow()
        alert.read_by_id = actor.user_id
        session.flush()
    return alert


def resolve(session: Session, school_id: int, dedupe_key: str) -> None:
    """Mark an alert resolved (its condition no longer holds); it is kept, not deleted."""
    alert = session.scalar(select(Alert).where(Alert.school_id == school_id,
                                               Alert.dedupe_key == dedupe_key))
    if alert is not None and alert.resolved_at is None:
        alert.resolved_at = utcnow()
        session.flush()
