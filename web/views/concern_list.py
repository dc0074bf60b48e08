"""The concerns list as a page: the search and filters read from the query string (a bad
value gets a message beside its field and the page still renders), one page at a time with
newer and older links that keep the filters, and the CSV export of the same list. The rules
are :mod:`core.concern_search`'s; the routes are the casefile and concerns blueprints'."""
from __future__ import annotations

from flask import render_template, request, url_for
from sqlalchemy import and_, select

from core import concern_search
from core.concern_search import MAX_PER_PAGE, MAX_QUERY, PER_PAGE, ConcernFilters
from core.errors import ValidationError
from core.models import Concern, ConcernPupil, Pupil, School, User
from core.models.concerns import RISK_LEVELS
from core.models.pupils import FLAGS, YEAR_GROUPS
from core import concerns as concern_service
from web import context
from web.pages import download
from web.views.forms import Form

FIELDS = ("q", "status", "category_id", "occurred_from", "occurred_to", "risk", "recorded_by",
          "pupil_id", "year_group", "flag", "per_page")
# the filters that stay the DSL team's: one's own list has no status, risk or flags
TEAM_ONLY = ("status", "risk", "flag")


def read_filters() -> tuple[ConcernFilters, Form, int]:
    """The filters of the query string, typed; what cannot be read is in ``form.errors``."""
    form = Form(request.args)
    status = form.choice("status", concern_search.STATUSES)
    wanted = ConcernFilters(
        q=form.text("q", max_len=MAX_QUERY),
        status=(status,) if status else (),
        category_id=form.integer("category_id"),
        occurred_from=form.date("occurred_from"),
        occurred_to=form.date("occurred_to"),
        risk=form.choice("risk", RISK_LEVELS),
        recorded_by=form.integer("recorded_by"),
        pupil_id=form.integer("pupil_id"),
        year_group=form.integer("year_group"),
        flag=form.choice("flag", FLAGS),
    )
    per_page = form.integer("per_page") or PER_PAGE
    if not 1 <= per_page <= MAX_PER_PAGE:
        form.add_error("per_page", f"must be from 1 to {MAX_PER_PAGE}")
    if (wanted.occurred_from and wanted.occurred_to
            and wanted.occurred_from > wanted.occurred_to):
        form.add_error("occurred_to", "must not be before the “from” date")
    return wanted, form, per_page


def _options(school: School, mine: bool) -> dict:
    """What each filter offers: the trust's categories, the people who recorded concerns here
    and the pupils concerns are about (one's own list: only one's own pupils)."""
    s = context.db()
    own = [Concern.recorded_by_id == context.actor().user_id] if mine else []
    pupils = s.execute(
        select(Pupil.id, Pupil.first_name, Pupil.preferred_name, Pupil.last_name).distinct()
        .join(ConcernPupil, and_(ConcernPupil.pupil_id == Pupil.id,
                                 ConcernPupil.school_id == Pupil.school_id))
        .join(Concern, and_(Concern.id == ConcernPupil.concern_id,
                            Concern.school_id == ConcernPupil.school_id))
        .where(Pupil.school_id == school.id, *own)).all()
    recorders = [] if mine else s.execute(
        select(User.id, User.name).distinct().join(Concern, Concern.recorded_by_id == User.id)
        .where(Concern.school_id == school.id).order_by(User.name)).all()
    return {
        "category_options": [(c.id, c.label + ("" if c.active else " (no longer used)"))
                             for c in concern_service.categories(s, school.trust_id, True)],
        "recorder_options": [(u.id, u.name) for u in recorders],
        "pupil_options": sorted(((p.id, f"{p.preferred_name or p.first_name} {p.last_name}")
                                 for p in pupils), key=lambda o: o[1].casefold()),
        "year_options": list(YEAR_GROUPS.items()),
        "flag_options": list(FLAGS.items()),
        "risk_options": [(r, r.title()) for r in RISK_LEVELS],
    }


def _params(wanted: ConcernFilters, per_page: int) -> dict:
    params = wanted.given()
    if per_page != PER_PAGE:
        params["per_page"] = per_page
    return params


def render(school: School, endpoint: str, template: str, *, mine: bool = False, **extra):
    """The list page (``endpoint`` names it for the links); 422 with a message beside each
    field when a filter cannot mean anything, keeping what was typed."""
    wanted, form, per_page = read_filters()
    page = None
    if mine:
        for name in TEAM_ONLY:
            if request.args.get(name):
                form.add_error(name, "is for the DSL team's list, not your own")
    if not form.errors:
        try:
            page = concern_search.find_concerns(
                context.db(), context.actor(), school.id, wanted, mine=mine,
                after=request.args.get("after") or None,
                before=request.args.get("before") or None, per_page=per_page)
        except ValidationError as exc:
            form.absorb(exc)
    params = _params(wanted, per_page)
    link = lambda **position: url_for(endpoint, school_id=school.id, **params, **position)  # noqa: E731
    filtered = any(k != "per_page" for k in params)
    return render_template(
        template, school=school, page=page, values=request.args, errors=form.errors,
        filtered=filtered, filters_in_use=any(k not in ("q", "per_page") for k in params),
        clear=url_for(endpoint, school_id=school.id),
        newer=link(before=page.previous) if page and page.previous else None,
        older=link(after=page.next) if page and page.next else None,
        export=url_for("casefile.export", school_id=school.id, **params) if not mine else None,
        **_options(school, mine), **extra), 422 if form.errors else 200


def export(school: School, statuses: dict):
    """The filtered list as a CSV download; bad filters give the list page with messages."""
    wanted, form, _per_page = read_filters()
    if not form.errors:
        try:
            result = concern_search.export_concerns(context.db(), context.actor(), school.id,
                                                    wanted)
            return download(result.text.encode("utf-8"), result.filename,
                            "text/csv; charset=utf-8")
        except ValidationError:
            pass  # the list page says what is wrong
    return render(school, "casefile.concerns", "casefile/list.html", statuses=statuses)
