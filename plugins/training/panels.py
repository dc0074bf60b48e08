"""The training panel of a school's DSL dashboard."""
from __future__ import annotations

from flask import render_template
from sqlalchemy.orm import Session

from core.contributions import Panel
from core.policy import Actor, can
from plugins.training import service
from plugins.training.definition import NAME


def dashboard_panel(session: Session, school_id: int, actor: Actor) -> list[Panel]:
    """Compliance at a glance, for those who may see the school's training."""
    if not can(actor, "training.view", school_id):
        return []
    m = service.build_matrix(session, school_id)
    html = render_template("training/panel.html", m=m, dsl_ok=service.dsl_in_date(m),
                           due=sum(r.due_soon for r in m.rows))
    return [Panel(NAME, "Staff safeguarding training", str(html), order=60)]
