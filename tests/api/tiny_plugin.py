"""A throwaway plugin for tests: one API endpoint and one page, each behind the policy, so
tests can switch a plugin on and off per school without depending on the real plugins."""
from __future__ import annotations

from flask import Blueprint as PageBlueprint
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from core import hookimpl
from core.contributions import BlueprintContribution, PluginInfo
from web import context


class ThingSchema(Schema):
    school_id = fields.Int()
    plugin = fields.Str()


def make_tiny_plugin(name: str):
    """A plugin object called ``name`` with fresh blueprints (a blueprint object is bound to
    the apps it was registered on, so each test app gets its own)."""
    api = Blueprint(f"{name}_api", __name__, url_prefix=f"/api/v1/schools/<int:school_id>/{name}",
                    description=f"{name}: a test plugin")

    @api.route("/things", methods=["GET"])
    @api.response(200, ThingSchema(many=True))
    def things(school_id: int):
        context.require("dashboard.view", school_id)
        return [{"school_id": school_id, "plugin": name}]

    page = PageBlueprint(f"{name}_pages", __name__)

    @page.route(f"/schools/<int:school_id>/{name}/")
    def home(school_id: int):
        context.require("school.view", school_id)
        return f"{name} page for school {school_id}"

    class Tiny:
        @hookimpl
        def mat_plugin_info(self):
            return PluginInfo(name=name, label=name.title(), description="A test plugin")

        @hookimpl
        def mat_blueprints(self):
            return [BlueprintContribution(name, api, api=True), BlueprintContribution(name, page)]

    return Tiny()


def tiny_routes(name: str) -> dict:
    """The route-table rows of :func:`make_tiny_plugin`'s endpoints."""
    return {
        f"{name}_api.things": {"methods": {"GET"}, "allow": {"dsl", "deputy_dsl", "trust_lead"}},
        f"{name}_pages.home": {"methods": {"GET"}, "allow": {
            "staff", "dsl", "deputy_dsl", "headteacher", "school_admin", "trust_lead",
            "trust_admin"}},
    }
