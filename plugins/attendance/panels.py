"""Panels for the school dashboard and the pupil page (rendered with our own templates)."""
from __future__ import annotations

import datetime as dt

from flask import render_template

from core import audit
from core.calendar import london_today
from core.contributions import Panel
from core.policy import can
from web.charts import Point, bar_chart

from plugins.attendance import service
from plugins.attendance.definition import NAME


def dashboard_panel(session, school_id: int, actor) -> Panel | None:
    if not can(actor, "dashboard.view", school_id):
        return None
    start, end = service.year_to_date()
    m = service.school_measures(session, school_id, start, end)
    html = render_template("attendance/_dashboard_panel.html", m=m, school_id=school_id,
                           signals=service.open_signals(session, school_id, limit=5))
    return Panel(NAME, "Attendance", html, order=30)


def pupil_panel(session, school_id: int, pupil_id: int, actor) -> Panel | None:
    """Weekly attendance bars for the twelve weeks up to the pupil's latest mark (case-file
    readers only)."""
    if not can(actor, "casefile.read", school_id):
        return None
    end = service.latest_mark_date(session, school_id, london_today(), pupil_id) or london_today()
    start = end - dt.timedelta(weeks=12)
    weeks = service.weekly_trend(session, school_id, start, end, pupil_id=pupil_id)
    points = [Point(w.strftime("%d %b"), c.attendance_pct) for w, c in weeks]
    chart = bar_chart(points, "Attendance by week", unit="%", max_value=100, threshold=90)
    audit.record(session, "attendance.pupil_panel_read", actor=actor, object_type="pupil",
                 object_id=pupil_id, school_id=school_id)
    html = render_template("attendance/_pupil_panel.html", weeks=weeks, chart=chart,
                           school_id=school_id, pupil_id=pupil_id)
    return Panel(NAME, "Attendance", html, order=30)
