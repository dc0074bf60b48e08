"""The start page: where each person begins, by role."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import select

from core.models import School
from core.policy import can
from web import context

bp = Blueprint("pages", __name__)


@bp.route("/")
@login_required
def home():
    a = context.actor()
    schools = context.db().scalars(select(School).where(School.id.in_(list(a.school_trust)))
                                   .order_by(School.name)).all()
    rows = [{"school": s,
             "record": can(a, "concern.record", s.id),
             "dashboard": can(a, "dashboard.view", s.id),
             "admin": can(a, "school.admin", s.id)} for s in schools]
    return render_template("pages/home.html", rows=rows, actor=a)
