"""Panels: on the DSL dashboard, the transfers that need action by their KCSIE deadlines and
the local authority notifications due for pupils gone with no known destination; on a
pupil's page, the pupil's transfer out (or missing-education case) and the files received.
For the DSL team only (others see no panel, so its absence tells them nothing)."""
from __future__ import annotations

from flask import render_template
from sqlalchemy.orm import Session

from core.calendar import london_today
from core.contributions import Panel
from core.policy import Actor, can
from plugins.transition import service
from plugins.transition.definition import NAME


def dashboard_panel(session: Session, school_id: int, actor: Actor) -> list[Panel]:
    """Deadlines first: what is late, due soon, or waiting in the inbox."""
    if not can(actor, "transfer.handle", school_id):
        return []
    html = render_template("transition/_dashboard_panel.html",
                           w=service.watch(session, school_id), school_id=school_id,
                           missing=service.missing_outstanding(session, school_id),
                           today=london_today())
    return [Panel(NAME, "Child-protection file transfers", html, order=40)]


def pupil_panel(session: Session, school_id: int, pupil_id: int, actor: Actor) -> list[Panel]:
    """The pupil's transfer and received files; no panel when there are none."""
    if not can(actor, "transfer.handle", school_id):
        return []
    transfer = service.transfer_of_pupil(session, school_id, pupil_id)
    received = service.received_files(session, school_id, pupil_id)
    missing = service.missing_case_of_pupil(session, school_id, pupil_id)
    if transfer is None and not received and missing is None:
        return []
    html = render_template("transition/_pupil_panel.html", transfer=transfer,
                           received=received, missing=missing, school_id=school_id,
                           today=london_today())
    return [Panel(NAME, "Transfer of the child-protection file", html, order=30)]
