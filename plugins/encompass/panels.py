"""Panels: on the DSL dashboard, how many notifications wait in each state; on a pupil's
page, that pupil's notifications."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contributions import Panel
from core.policy import Actor, can

from plugins.encompass.definition import NAME
from plugins.encompass.figures import status_counts, waiting_count
from plugins.encompass.models import EncompassChild, EncompassNotification
from plugins.encompass.response import STATUS_LABELS, status_of, steps_of


def dashboard_panel(session: Session, school_id: int, actor: Actor) -> list[Panel]:
    """Counts only (no child is named), with links for those who may open the inbox."""
    counts = status_counts(session, school_id)
    html = render_template("encompass/_panel.html", school_id=school_id, counts=counts,
                           labels=STATUS_LABELS, waiting=waiting_count(session, school_id),
                           can_open=can(actor, "encompass.read", school_id, session=session))
    return [Panel(NAME, "Operation Encompass", html, order=20)]


def pupil_panel(session: Session, school_id: int, pupil_id: int, actor: Actor) -> list[Panel]:
    """The pupil's notifications, for the DSL team and key adults only (others see no
    panel, so its absence tells them nothing)."""
    if not can(actor, "encompass.read", school_id, session=session):
        return []
    rows = list(session.scalars(select(EncompassNotification).join(
        EncompassChild, EncompassChild.notification_id == EncompassNotification.id)
        .where(EncompassChild.pupil_id == pupil_id, EncompassChild.school_id == school_id)
        .order_by(EncompassNotification.received_at.desc())).unique())
    if not rows:
        return []
    items = [(n, status_of(n, steps_of(session, n.id))) for n in rows]
    html = render_template("encompass/_pupil_panel.html", school_id=school_id, items=items,
                           labels=STATUS_LABELS)
    return [Panel(NAME, "Operation Encompass", html, order=30)]
