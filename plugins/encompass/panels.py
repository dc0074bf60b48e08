"""Panels: on the DSL dashboard, how many notifications wait in each state; on a pupil's
page, that pupil's notifications."""
from __future__ import annotations

from flask import render_template
from sqlalchemy.orm import Session

from core.contributions import Panel
from core.policy import Actor, can

from plugins.encompass import service
from plugins.encompass.definition import NAME


def dashboard_panel(session: Session, school_id: int, actor: Actor) -> list[Panel]:
    """Counts only (no child is named), with links for those who may open the inbox."""
    counts = service.status_counts(session, school_id)
    html = render_template("encompass/_panel.html", school_id=school_id, counts=counts,
                           labels=service.STATUS_LABELS,
                           waiting=service.waiting_count(session, school_id),
                           gap=service.calendar_gap(session, school_id),
                           can_open=can(actor, "encompass.read", school_id, session=session))
    return [Panel(NAME, "Operation Encompass", html, order=20)]


def pupil_panel(session: Session, school_id: int, pupil_id: int, actor: Actor) -> list[Panel]:
    """The pupil's notifications, for the DSL team and key adults only (others see no
    panel, so its absence tells them nothing)."""
    items = service.notifications_of_pupil(session, actor, school_id, pupil_id)
    if not items:
        return []
    html = render_template("encompass/_pupil_panel.html", school_id=school_id, items=items,
                           labels=service.STATUS_LABELS)
    return [Panel(NAME, "Operation Encompass", html, order=30)]
