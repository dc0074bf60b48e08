"""The DSL team's school dashboard and alerts.

The dashboard answers "what needs me today": new concerns awaiting triage, overdue actions,
pupils with alerts, concerns left open too long (trust setting ``dashboard.open_too_long_days``,
default 28), and panels from the plugins switched on for the school. Opening an alert marks it
read; read alerts stay findable through the filter on the alerts page."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request
from flask_login import login_required
from sqlalchemy import func, select

from core import alerts as alert_service
from core import audit, concern_actions
from core import concerns as concern_service
from core.db import utcnow
from core.models import Alert, Pupil
from core.schools import trust_setting
from web import context
from web.pages import school_for

bp = Blueprint("dashboard", __name__)
DASHBOARD_DEFAULTS = {"open_too_long_days": 28}
SHOW = {"unread": "Unread", "read": "Read", "all": "All"}


def flagged_pupils(session, school_id: int) -> list[dict]:
    """Pupils with alerts still standing (not resolved), most alerts first."""
    rows = session.execute(
        select(Pupil, func.count(Alert.id), func.max(Alert.created_at))
        .join(Alert, Alert.pupil_id == Pupil.id)
        .where(Alert.school_id == school_id, Pupil.school_id == school_id,
               Alert.resolved_at.is_(None))
        .group_by(Pupil.id).order_by(func.count(Alert.id).desc(), Pupil.last_name)).all()
    return [{"pupil": p, "alerts": n, "latest": latest} for p, n, latest in rows]


@bp.route("/schools/<int:school_id>/dashboard")
@login_required
def school_dashboard(school_id: int):
    school = school_for("dashboard.view", school_id)
    s, a = context.db(), context.actor()
    days = int(trust_setting(s, school.trust_id, "dashboard",
                             DASHBOARD_DEFAULTS)["open_too_long_days"])
    cutoff = utcnow() - dt.timedelta(days=days)
    panels = sorted(context.host().call_for_school(s, school_id, "mat_dashboard_panels",
                                                   actor=a),
                    key=lambda p: (p.order, p.plugin, p.title))
    audit.record(s, "dashboard.read", actor=a, object_type="school", object_id=school_id,
                 school_id=school_id)
    return render_template(
        "dashboard/dashboard.html", school=school, days=days,
        awaiting=concern_service.list_concerns(s, a, school_id, status="awaiting_triage",
                                               limit=1000),
        too_long=concern_service.list_concerns(s, a, school_id,
                                               status=("awaiting_triage", "open"),
                                               recorded_before=cutoff, limit=1000),
        overdue=concern_actions.overdue_actions(s, school_id),
        flagged=flagged_pupils(s, school_id),
        unread=alert_service.list_alerts(s, a, school_id, read=False, limit=10),
        panels=panels)


@bp.route("/schools/<int:school_id>/alerts")
@login_required
def alerts(school_id: int):
    school = school_for("dashboard.view", school_id)
    s, a = context.db(), context.actor()
    show = request.args.get("show", "unread")
    show = show if show in SHOW else "unread"
    plugin = request.args.get("plugin") or None
    read = {"unread": False, "read": True}.get(show)  # "all": either
    rows = alert_service.list_alerts(s, a, school_id, read=read, plugin=plugin, limit=500)
    sources = sorted(set(s.scalars(select(Alert.plugin).where(Alert.school_id == school_id)
                                   .distinct())))
    return render_template("dashboard/alerts.html", school=school, rows=rows, show=show,
                           plugin=plugin, sources=sources, shows=SHOW)


@bp.route("/schools/<int:school_id>/alerts/<int:alert_id>")
@login_required
def alert(school_id: int, alert_id: int):
    """Reading an alert marks it read (by whom, when); it stays listed under "Read"."""
    school = school_for("dashboard.view", school_id)
    s, a = context.db(), context.actor()
    row = alert_service.mark_read(s, a, school_id, alert_id)
    pupil = s.get(Pupil, row.pupil_id) if row.pupil_id else None
    audit.record(s, "alert.read", actor=a, object_type="alert", object_id=row.id,
                 school_id=school_id)
    link = row.link if row.link and row.link.startswith("/") and not row.link.startswith("//") \
        else None
    return render_template("dashboard/alert.html", school=school, alert=row, pupil=pupil,
                           link=link)
