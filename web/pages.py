"""Core page blueprints are registered here; each lives in its own module under ``web/views``.

Also the navigation every page shows: the main links by what the person may do, and, on a
school's pages, that school's links (the core's and those plugins switched on there add
through ``mat_nav_links``)."""
from __future__ import annotations

from flask import Flask, abort, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from core.calendar import uk_age, uk_date, uk_datetime, uk_moment
from core.models import School, Trust
from core.policy import can
from web import context


def main_nav() -> list[dict]:
    """The main navigation for the signed-in person, by what they may do."""
    a = context.actor()
    items = [{"label": "Home", "url": url_for("pages.home")}]
    for endpoint, label, ok, *args in _nav_entries(a):
        if ok:
            try:
                items.append({"label": label, "url": url_for(endpoint, **(args[0] if args
                                                                          else {}))})
            except BuildError:  # an endpoint of a page module not mounted in this app
                continue
    for item in items:
        item["current"] = request.path == item["url"]
    return items


def _trust_page(a, action: str, trusts: list[int]):
    """(allowed, url arguments) for a page of one trust: the first trust where ``action`` is
    allowed (a trust lead leads one trust)."""
    for t in sorted(trusts):
        if can(a, action, trust_id=t):
            return True, {"trust_id": t}
    return False, {}


def _nav_entries(a):
    trusts = list(a.trust_roles)
    signals_ok, signals_args = _trust_page(a, "signals.family", trusts)
    requests_ok, requests_args = _trust_page(a, "roles.confirm", trusts)
    return [
        ("overview.trust_overview", "Trust overview",
         any(can(a, "trust.overview", trust_id=t) for t in trusts)),
        ("family_suggestions.trust_index", "Family suggestions",
         a.mfa and any(can(a, "family.link", trust_id=t) for t in trusts)),
        ("families.trust_list", "Families",
         any(can(a, "trust.families", trust_id=t) for t in trusts)),
        ("board_report.page", "Board report",
         any(can(a, "trust.board_report", trust_id=t) for t in trusts)),
        ("case_studies.index", "Case studies",
         any(can(a, "trust.case_study", trust_id=t) for t in trusts)),
        ("signals.trust_index", "Converging signals", signals_ok, signals_args),
        ("admin.role_requests", "Role requests", requests_ok, requests_args),
        ("admin.index", "Admin",
         any(can(a, "trust.admin", trust_id=t) for t in trusts)
         or any(can(a, "school.admin", s) for s in a.school_trust)),
        ("casefile.my_actions", "My actions",
         any(can(a, "concern.record", s) for s in a.school_trust)),
        ("auth.security", "Sign-in security", current_user.is_authenticated),
    ]


def download(data: bytes, filename: str, mimetype: str):
    """A stored file as an attachment. Werkzeug writes the name for every browser (an ASCII
    fallback plus the RFC 5987 UTF-8 form), so names in any script are kept and never break
    the header; ``nosniff`` is set for every response by the app."""
    import io

    from flask import send_file

    return send_file(io.BytesIO(data), mimetype=mimetype or "application/octet-stream",
                     as_attachment=True, download_name=filename or "file")


def school_for(action: str, school_id: int) -> School:
    """The school of a page, after the policy allows ``action`` there (404 otherwise)."""
    context.require(action, school_id)
    school = context.db().get(School, school_id)
    if school is None:
        abort(404)
    return school


def trust_for(action: str, trust_id: int) -> Trust:
    """The trust of a page, after the policy allows ``action`` there (404 otherwise)."""
    context.require(action, trust_id=trust_id)
    trust = context.db().get(Trust, trust_id)
    if trust is None:
        abort(404)
    return trust


def school_nav(school_id: int) -> list[dict]:
    """Links for one school's pages: the core's, by role, then the enabled plugins'."""
    a = context.actor()
    core_links = [
        ("concerns.record", "Record a concern", "concern.record"),
        ("concerns.mine", "My concerns", "concern.record"),
        ("dashboard.school_dashboard", "DSL dashboard", "dashboard.view"),
        ("casefile.concerns", "Concerns", "casefile.read"),
        ("pupils.index", "Pupils", "casefile.read"),
        ("dashboard.alerts", "Alerts", "dashboard.view"),
        ("signals.index", "Converging signals", "casefile.read"),
        ("families.school_list", "Families across schools", "casefile.read"),
        ("retention.due", "Retention", "retention.review"),
        ("family_suggestions.school", "Family suggestions", "casefile.write"),
        ("admin.school", "Manage school", "school.admin"),
    ]
    items = [{"label": label, "url": url_for(endpoint, school_id=school_id), "plugin": None}
             for endpoint, label, action in core_links if can(a, action, school_id)]
    if can(a, "school.view", school_id):
        host = context.host()
        for link in host.call_for_school(context.db(), school_id, "mat_nav_links",
                                          actor=a):
            try:
                url = url_for(link.endpoint, school_id=school_id)
            except BuildError:
                continue
            items.append({"label": link.label, "url": url, "plugin": link.plugin})
    for item in items:
        item["current"] = request.path == item["url"]
    return items


def register_pages(app: Flask) -> None:
    from web.views import home

    app.register_blueprint(home.bp)
    for module in _optional_view_modules():
        app.register_blueprint(module.bp)
    app.jinja_env.globals["main_nav"] = main_nav
    app.jinja_env.globals["school_nav"] = school_nav
    # one UK format for every page (core.calendar says it; the PDF and plugins use the same)
    app.jinja_env.filters["london"] = uk_datetime
    app.jinja_env.filters["ukdate"] = uk_date
    app.jinja_env.filters["moment"] = uk_moment
    app.jinja_env.filters["age"] = uk_age
    app.jinja_env.filters["source_label"] = source_label
    app.jinja_env.filters["alert_kind"] = alert_kind_label


# Who raised an alert or contributed a line, as people name it: the core's own records are
# the concerns; a plugin is named by the label it declares in ``mat_plugin_info``.
CORE_SOURCE_LABEL = "Concerns"
ALERT_KIND_LABELS = {"concern_accumulation": "Several concerns in a short time"}


def source_label(name: str | None) -> str:
    """``core`` or a plugin's name as a person reads it (its declared label)."""
    if not name or name == "core":
        return CORE_SOURCE_LABEL
    if name == "staff":  # a concern's source when a person recorded it
        return "Staff"
    try:
        return context.host().info(name).label
    except Exception:  # a plugin uninstalled since it raised the alert
        return _humane(name)


def alert_kind_label(kind: str | None) -> str:
    """An alert's kind in words: the core's own from its table, a plugin's (``attendance.
    persistent_absence``, ``transfer_overdue``) from its last part, underscores as spaces."""
    if not kind:
        return ""
    return ALERT_KIND_LABELS.get(kind) or _humane(kind.rsplit(".", 1)[-1].rsplit(":", 1)[-1])


def _humane(identifier: str) -> str:
    return identifier.replace("_", " ").replace("-", " ").strip().capitalize()


def _optional_view_modules():
    """The page modules of the core UI (each a blueprint ``bp``; a package's routes live in
    its submodules, which its ``__init__`` imports)."""
    import importlib
    import pkgutil

    import web.views as views

    for info in pkgutil.iter_modules(views.__path__):
        if info.name == "home":
            continue
        module = importlib.import_module(f"web.views.{info.name}")
        if hasattr(module, "bp"):
            yield module
