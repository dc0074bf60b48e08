"""The DSL team's school dashboard and alerts.

The dashboard answers "what needs me today", most urgent first: time-critical plugin panels
(Encompass notifications due today), concerns awaiting triage (oldest first, with their age
and the pupils' standing flags), overdue actions (naming pupil and owner), unread alerts
grouped per pupil and ranked, concerns left open too long (trust setting
``dashboard.open_too_long_days``, default 28), then the other plugin panels. Long lists show
their first rows and a link to the whole list. Opening an alert marks it
read; read alerts stay findable through the filter on the alerts page."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request
from flask_login import login_required
from sqlalchemy import and_, or_, select

from core import alerts as alert_service
from core import audit, concern_actions
from core import concerns as concern_service
from core.db import utcnow
from core.models import Alert, ConcernPupil, Pupil, PupilFlag
from core.models.pupils import FLAGS
from core.schools import trust_setting
from web import context
from web.pages import school_for

bp = Blueprint("dashboard", __name__)
DASHBOARD_DEFAULTS = {"open_too_long_days": 28}
SHOW = {"unread": "Unread", "read": "Read", "all": "All"}


SHOWN = 8  # rows of a list before it collapses into "N more"
URGENT_PANEL_ORDER = 20  # plugin panels at or before this come first (Encompass: due today)
RISK_FLAGS = ("cp_plan", "cin", "looked_after", "ehcp", "early_help", "young_carer")


def age(moment: dt.datetime, now: dt.datetime) -> str:
    """How long ago, in words a DSL scans: "3 days", "5 hours", "under an hour"."""
    gone = now - moment
    if gone.days >= 1:
        return f"{gone.days} day{'s' if gone.days != 1 else ''}"
    hours = gone.seconds // 3600
    return f"{hours} hour{'s' if hours != 1 else ''}" if hours else "under an hour"


def _flags_by_concern(session, concern_ids: list[int]) -> dict[int, list[str]]:
    """The vulnerability flags standing today for each concern's pupils (CP plan, CIN...)."""
    rows = session.execute(
        select(ConcernPupil.concern_id, PupilFlag.flag)
        .join(PupilFlag, PupilFlag.pupil_id == ConcernPupil.pupil_id)
        .where(ConcernPupil.concern_id.in_(concern_ids), PupilFlag.flag.in_(RISK_FLAGS),
               PupilFlag.start_date <= dt.date.today(),
               or_(PupilFlag.end_date.is_(None), PupilFlag.end_date >= dt.date.today())))
    found: dict[int, list[str]] = {}
    for cid, flag in rows:
        if FLAGS.get(flag, flag) not in found.setdefault(cid, []):
            found[cid].append(FLAGS.get(flag, flag))
    return found


def triage_queue(session, actor, school_id: int, now: dt.datetime) -> list[dict]:
    """Concerns awaiting triage, oldest first (the longest wait is the first to see), each
    with its age and the standing flags of its pupils."""
    rows = concern_service.list_concerns(session, actor, school_id, status="awaiting_triage",
                                         limit=1000)
    rows.sort(key=lambda r: (r.recorded_at, r.id))
    flags = _flags_by_concern(session, [r.id for r in rows])
    return [{"row": r, "age": age(r.recorded_at, now), "flags": flags.get(r.id, [])}
            for r in rows]


def alerts_by_pupil(session, school_id: int) -> tuple[list[dict], list[Alert]]:
    """Unread alerts, one group per pupil, ranked: most different kinds of alert first (signs
    from several places about one child), then most alerts, then the latest; and the alerts
    about no pupil."""
    found = session.execute(
        select(Alert, Pupil).outerjoin(Pupil, and_(Pupil.id == Alert.pupil_id,
                                                   Pupil.school_id == Alert.school_id))
        .where(Alert.school_id == school_id, Alert.read_at.is_(None))
        .order_by(Alert.last_raised_at.desc(), Alert.id.desc())).all()
    groups: dict[int, dict] = {}
    loose: list[Alert] = []
    for alert, pupil in found:
        if pupil is None:
            loose.append(alert)
            continue
        g = groups.setdefault(pupil.id, {"pupil": pupil, "alerts": [], "kinds": set()})
        g["alerts"].append(alert)
        g["kinds"].add((alert.plugin, alert.kind))
    ranked = sorted(groups.values(), key=lambda g: (
        -len(g["kinds"]), -sum(a.count for a in g["alerts"]),
        -max(a.last_raised_at or a.created_at for a in g["alerts"]).timestamp()))
    return ranked, loose


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
    by_pupil, loose = alerts_by_pupil(s, school_id)
    return render_template(
        "dashboard/dashboard.html", school=school, days=days, shown=SHOWN,
        awaiting=triage_queue(s, a, school_id, utcnow()),
        too_long=concern_service.list_concerns(s, a, school_id,
                                               status=("awaiting_triage", "open"),
                                               recorded_before=cutoff, limit=1000),
        overdue=concern_actions.overdue_actions(s, school_id),
        flagged=by_pupil, unread=loose,
        urgent=[p for p in panels if p.order <= URGENT_PANEL_ORDER],
        panels=[p for p in panels if p.order > URGENT_PANEL_ORDER])


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
