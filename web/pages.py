"""Core page blueprints are registered here; each lives in its own module under ``web/views``."""
from __future__ import annotations

from flask import Flask, request, url_for
from flask_login import current_user

from core.policy import can
from web import context


def main_nav() -> list[dict]:
    """The main navigation for the signed-in person, by what they may do."""
    a = context.actor()
    items = [{"label": "Home", "url": url_for("pages.home")}]
    for endpoint, label, ok in _nav_entries(a):
        if ok:
            try:
                items.append({"label": label, "url": url_for(endpoint)})
            except Exception:  # an endpoint of a page module not mounted in this app
                continue
    for item in items:
        item["current"] = request.path == item["url"]
    return items


def _nav_entries(a):
    trusts = list(a.trust_roles)
    return [
        ("overview.trust_overview", "Trust overview",
         any(can(a, "trust.overview", trust_id=t) for t in trusts)),
        ("admin.index", "Admin",
         any(can(a, "trust.admin", trust_id=t) for t in trusts)
         or any(can(a, "school.admin", s) for s in a.school_trust)),
        ("auth.security", "Sign-in security", current_user.is_authenticated),
    ]


def register_pages(app: Flask) -> None:
    from web.views import home

    app.register_blueprint(home.bp)
    for module in _optional_view_modules():
        app.register_blueprint(module.bp)
    app.jinja_env.globals["main_nav"] = main_nav


def _optional_view_modules():
    """The page modules of the core UI (each a blueprint ``bp``)."""
    import importlib
    import pkgutil

    import web.views as views

    for info in pkgutil.iter_modules(views.__path__):
        if info.name == "home":
            continue
        module = importlib.import_module(f"web.views.{info.name}")
        if hasattr(module, "bp"):
            yield module
