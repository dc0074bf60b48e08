"""A throwaway plugin for page tests: a page of its own, a dashboard panel, a pupil panel,
a navigation link and a chronology entry, so the pages' plugin hooks are exercised without
depending on any real plugin."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint

from core import hookimpl
from core.contributions import (BlueprintContribution, ChronologyItem, Metric,
                                MetricDefinition, NavLink, Panel, PluginInfo)

NAME = "tinyweb"
TINY_EVENT_AT = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.timezone.utc)


def make_blueprint() -> Blueprint:
    """A fresh blueprint per app (a blueprint remembers the apps it was registered on)."""
    bp = Blueprint("tinyweb", __name__)

    @bp.route("/schools/<int:school_id>/tinyweb/")
    def page(school_id: int):
        from web import context

        context.require("school.view", school_id)
        return f"<h1>Tiny page of school {school_id}</h1>"

    return bp


class TinyWeb:
    """Hook implementations of the throwaway plugin (an object, registered under NAME)."""

    def __init__(self):
        self.bp = make_blueprint()

    @hookimpl
    def mat_plugin_info(self):
        return PluginInfo(NAME, "Tiny web", "A throwaway plugin for the page tests")

    @hookimpl
    def mat_blueprints(self):
        return [BlueprintContribution(NAME, self.bp)]

    @hookimpl
    def mat_nav_links(self, session, school_id, actor):
        from core.policy import can

        if not can(actor, "school.view", school_id):
            return []
        return [NavLink(NAME, "Tiny page", "tinyweb.page")]

    @hookimpl
    def mat_dashboard_panels(self, session, school_id, actor):
        return [Panel(NAME, "Tiny dashboard panel",
                      f"<p class='tiny'>tiny panel for school {school_id}</p>", order=10)]

    @hookimpl
    def mat_pupil_panels(self, session, school_id, pupil_id, actor):
        return [Panel(NAME, "Tiny pupil panel", f"<p class='tiny'>tiny pupil {pupil_id}</p>")]

    @hookimpl
    def mat_chronology_entries(self, session, school_id, pupil_id, start, end):
        return [ChronologyItem(NAME, "tiny", TINY_EVENT_AT, "Tiny plugin event")]

    @hookimpl
    def mat_metric_definitions(self):
        return [MetricDefinition(NAME, "visits", "Tiny visits", "%", national=12.5)]

    @hookimpl
    def mat_trust_metrics(self, session, school_id, start, end):
        return [Metric(NAME, school_id, "visits", 40.0)]
