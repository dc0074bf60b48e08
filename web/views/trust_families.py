"""Families across schools: the trust lead's list of families whose children attend two or
more of the trust's schools, with their combined recent indicators, and a whole-family
chronology; a school's DSL team sees the same for its own pupils' families, children
elsewhere shown only as "a child at <school>, DSL <name>". Rules in :mod:`core.family_view`."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import login_required

from core import family_view
from core.errors import NotFound
from core.models import Trust
from core.policy import can
from web import context
from web.pages import school_for

bp = Blueprint("families", __name__)


def lead_trust(action: str) -> int:
    """The trust a lead's page is about (``?trust=``, else their first where ``action`` is
    allowed); 404 for anyone else."""
    a = context.actor()
    trusts = [t for t in sorted(a.trust_roles) if can(a, action, trust_id=t)]
    asked = request.args.get("trust", "")
    if not trusts or (asked and (not asked.isdigit() or int(asked) not in trusts)):
        abort(404)
    return int(asked) if asked else trusts[0]


def _months() -> int:
    raw = request.args.get("months", "")
    return int(raw) if raw.isdigit() and int(raw) in family_view.PERIODS \
        else family_view.DEFAULT_MONTHS


@bp.route("/trust/families")
@login_required
def trust_list():
    """Every family of the trust across two or more schools (trust lead)."""
    trust_id = lead_trust("trust.families")
    months = _months()
    found = family_view.trust_families(context.db(), context.actor(), trust_id, months)
    return render_template("lead/families.html", families=found, trust=context.db().get(
        Trust, trust_id), school=None, months=months, periods=family_view.PERIODS)


@bp.route("/trust/families/<int:pupil_id>")
@login_required
def trust_family(pupil_id: int):
    """One family: each child with their indicators, and the family chronology (trust lead;
    the chronology is audited as a case-file read of each child)."""
    trust_id = lead_trust("trust.families")
    return _family_page(pupil_id, None, trust_id)


@bp.route("/schools/<int:school_id>/families")
@login_required
def school_list(school_id: int):
    """The school's pupils' families that reach into another school (the DSL team)."""
    school = school_for("casefile.read", school_id)
    months = _months()
    found = family_view.school_families(context.db(), context.actor(), school_id, months)
    return render_template("lead/families.html", families=found, trust=None, school=school,
                           months=months, periods=family_view.PERIODS)


@bp.route("/schools/<int:school_id>/families/<int:pupil_id>")
@login_required
def school_family(school_id: int, pupil_id: int):
    """One of the school's families, as far as the DSL's access reaches."""
    school_for("casefile.read", school_id)
    return _family_page(pupil_id, school_id, None)


def _family_page(pupil_id: int, school_id: int | None, trust_id: int | None):
    s, a = context.db(), context.actor()
    months = _months()
    try:
        fam = family_view.find_family(s, a, pupil_id, months, school_id=school_id)
    except NotFound:
        abort(404)
    if trust_id is not None and any(c.visible and a.school_trust.get(c.school_id) != trust_id
                                    for c in fam.children):
        abort(404)
    entries = family_view.family_chronology(s, a, fam)
    return render_template("lead/family.html", family=fam, entries=entries, months=months,
                           periods=family_view.PERIODS, school_id=school_id)
