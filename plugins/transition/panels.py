"""Panels: on the DSL dashboard, the transfers that need action by their KCSIE deadlines; on a
pupil's page, the pupil's transfer out and the files received for them. For the DSL team only
(others see no panel, so its absence tells them nothing)."""
from __future__ import annotations

from flask import render_template
from sqlalchemy.orm import Session

from core.contributions import Panel
from core.policy import Actor, can
from plugins.transition import service
from plugins.transition.definition import NAME


def dashboard_panel(session: Session, school_id: int, actor: Actor) -> list[Panel]:
    """Deadlines first: what is late, due soon, or waiting in the inbox."""
    if not can(actor, "transfer.handle", school_id):
        return []
    html = render_template("transition/_dashboard_panel.html",
                           w=service.watch(session, school_id), school_id=school_id)
    return [Panel(NAME, "Child-protection file transfers", html, order=40)]


def pupil_panel(session: Session, school_id: int, pupil_id: int, actor: Actor) -> list[Panel]:
    """The pupil's transfer and received files; no panel when there are none."""
    if not can(actor, "transfer.handle", school_id):
        return []
    transfer = service.transfer_of_pupil(session, school_id, pupil_id)
    received = service.received_files(session, school_id, pupil_id)
    if transfer is None and not received:
        return []
    html = render_template("transition/_pupil_panel.html", transfer=transfer,
                           received=received, school_id=school_id)
    return [Panel(NAME, "Transfer of the child-protection file", html, order=30)]
