"""The start page: where each person begins, by role, with a word on what each part is for
(so a first-time visitor of ``mat demo`` knows where to click)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import select

from core.models import School, Trust
from core.models.people import ROLE_LABELS
from core.policy import can
from web import context

bp = Blueprint("pages", __name__)


@bp.route("/")
@login_required
def home():
    a = context.actor()
    s = context.db()
    schools = s.scalars(select(School).where(School.id.in_(list(a.school_trust)))
                        .order_by(School.name)).all()
    rows = [{"school": sc,
             "roles": sorted(ROLE_LABELS[r] for r in a.roles_in(sc.id)),
             "record": can(a, "concern.record", sc.id),
             "mine": can(a, "concern.record", sc.id),
             "dashboard": can(a, "dashboard.view", sc.id),
             "pupils": can(a, "casefile.read", sc.id),
             "admin": can(a, "school.admin", sc.id)} for sc in schools]
    trusts = [{"trust": s.get(Trust, t), "roles": sorted(ROLE_LABELS[r] for r in roles),
               "overview": can(a, "trust.overview", trust_id=t),
               "admin": can(a, "trust.admin", trust_id=t)}
              for t, roles in sorted(a.trust_roles.items())]
    # a case-file role signed in without the second factor sees why its links are missing
    mfa_missing = a.needs_mfa and not a.mfa
    return render_template("pages/home.html", rows=rows, trusts=trusts, actor=a,
                           mfa_missing=mfa_missing)
