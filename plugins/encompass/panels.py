"""The DSL dashboard panel: how many notifications wait in each state."""
from __future__ import annotations

from flask import render_template
from sqlalchemy.orm import Session

from core.contributions import Panel
from core.policy import Actor

from plugins.encompass.access import can_read
from plugins.encompass.definition import NAME
from plugins.encompass.figures import status_counts, waiting_count
from plugins.encompass.response import STATUS_LABELS


def dashboard_panel(session: Session, school_id: int, actor: Actor) -> list[Panel]:
    """Counts only (no child is named), with links for those who may open the inbox."""
    counts = status_counts(session, school_id)
    html = render_template("encompass/_panel.html", school_id=school_id, counts=counts,
                           labels=STATUS_LABELS, waiting=waiting_count(session, school_id),
                           can_open=can_read(session, actor, school_id))
    return [Panel(NAME, "Operation Encompass", html, order=20)]
