"""A school's dashboard for the trust lead, read-only: what the DSL team is facing (how many
concerns wait for triage, actions overdue, concerns open too long, unread alerts) and the
plugins' panels, with every form and button taken out, so the lead looks without acting in the
school's place. Opened from the overview; only for the trust lead of the school's trust, who
may see its dashboard; audited, since plugins' panels may name pupils."""
from __future__ import annotations

import datetime as dt
import re

from flask import abort, render_template
from flask_login import login_required
from markupsafe import Markup
from sqlalchemy import func, select

from core import audit, concern_actions
from core import concerns as concern_service
from core.db import utcnow
from core.models import Alert, School
from core.schools import trust_setting
from web import context
from web.views.overview import bp
from web.views.overview.page import _overview_trusts

DASHBOARD_DEFAULTS = {"open_too_long_days": 28}  # as the DSL dashboard reads the setting
_CONTROLS = re.compile(
    r"<(form|select|textarea|button)\b.*?</\1\s*>|<input\b[^>]*>", re.S | re.I)


def read_only(html: str) -> Markup:
    """A panel's markup without its controls (forms, buttons, fields): what it shows stays,
    what it would let someone do goes."""
    return Markup(_CONTROLS.sub("", str(html)))


@bp.route("/trust/schools/<int:school_id>")
@login_required
def school_view(school_id: int):
    a, s = context.actor(), context.db()
    school = s.get(School, school_id)
    if school is None or school.trust_id not in _overview_trusts(a):
        abort(404)
    context.require("dashboard.view", school_id)
    days = int(trust_setting(s, school.trust_id, "dashboard",
                             DASHBOARD_DEFAULTS)["open_too_long_days"])
    counts = concern_service.open_counts(s, school_id)
    too_long = concern_service.list_concerns(
        s, a, school_id, status=("awaiting_triage", "open"),
        recorded_before=utcnow() - dt.timedelta(days=days), limit=1000)
    unread = s.scalar(select(func.count()).select_from(Alert).where(
        Alert.school_id == school_id, Alert.read_at.is_(None)))
    panels = sorted(context.host().call_for_school(s, school_id, "mat_dashboard_panels",
                                                   actor=a),
                    key=lambda p: (p.order, p.plugin, p.title))
    audit.record(s, "dashboard.lead_read", actor=a, object_type="school", object_id=school_id,
                 school_id=school_id)
    return render_template(
        "overview/school.html", school=school, days=days, counts=counts,
        overdue=len(concern_actions.overdue_actions(s, school_id)), too_long=len(too_long),
        unread=unread, panels=[(p, read_only(p.html)) for p in panels])
