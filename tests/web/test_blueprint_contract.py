"""What a plugin's blueprint does for itself (finds its own school, checks its own
credentials) is a field of its ``BlueprintContribution``, read by the web layer; never an
attribute set on the blueprint. Shown with a throwaway plugin."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Blueprint as PageBlueprint
from flask_smorest import Blueprint

from core import hookimpl
from core.contributions import BlueprintContribution, PluginInfo
from core.plugins import make_host, use_host


class Intake:
    """A page routed by a token and an API for machine clients, neither naming a school."""

    def __init__(self, declared: bool):
        self.declared = declared
        self.page = PageBlueprint("intake_pages", __name__)
        self.api = Blueprint("intake_api", __name__, url_prefix="/api/v1/intake")

        @self.page.route("/intake/<token>")
        def by_token(token: str):
            return f"download {token}"

        @self.api.route("/ping", methods=["POST"])
        def ping():
            return {"ok": True}

    @hookimpl
    def mat_plugin_info(self):
        return PluginInfo("intake", "Intake", "a test plugin")

    @hookimpl
    def mat_blueprints(self):
        return [BlueprintContribution("intake", self.page, checks_school_itself=self.declared),
                BlueprintContribution("intake", self.api, api=True,
                                      checks_school_itself=self.declared,
                                      authenticates_itself=self.declared)]


@pytest.fixture(params=[True, False], ids=["declared", "undeclared"])
def host(request):
    h = make_host(load_entry_points=False, extra=[("intake", Intake(request.param))])
    use_host(h)
    yield h
    use_host(None)


def test_the_web_layer_reads_the_contribution(client, host):
    declared = host.pm.get_plugin("intake").declared
    page = client.get("/intake/abc")
    assert page.status_code == (200 if declared else 404)
    api = client.post("/api/v1/intake/ping", json={})
    assert api.status_code == (200 if declared else 401)


def test_no_plugin_sets_attributes_on_its_blueprints():
    root = Path(__file__).parents[2]
    offenders = [str(p.relative_to(root)) for p in (root / "plugins").rglob("*.py")
                 if re.search(r"\.(checks_school_itself|authenticates_itself)\s*=",
                              p.read_text())]
    assert offenders == []
