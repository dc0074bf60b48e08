"""``/api/v1/schools/{school_id}/plugins``: which plugins are on for a school, and switching
one on or off (school admins and trust admins; audited). Switching off keeps the data; the
plugin's pages, endpoints, hooks, jobs and figures disappear for that school only."""
from __future__ import annotations

from flask_smorest import Blueprint

from web import context
from web.apis import allowed, refusals
from web.apis.schemas import PluginStateSchema, PluginSwitchSchema

blp = Blueprint("api_plugins", __name__, url_prefix="/api/v1/schools/<int:school_id>/plugins",
                description="Plugins switched on or off per school")


def _state(school_id: int, name: str) -> dict:
    host = context.host()
    info = host.info(name)  # NotFound (404) for a plugin that is not installed
    return {"name": info.name, "label": info.label, "description": info.description,
            "enabled": host.is_enabled(context.db(), school_id, name)}


@blp.route("", methods=["GET"])
@refusals(blp)
@allowed("school.admin")
@blp.response(200, PluginStateSchema(many=True))
def list_plugins(school_id: int):
    """Every installed plugin and whether it is on for this school."""
    return [_state(school_id, name) for name in context.host().names]


@blp.route("/<name>", methods=["GET"])
@refusals(blp)
@allowed("school.admin")
@blp.response(200, PluginStateSchema)
def get_plugin(school_id: int, name: str):
    """One plugin and whether it is on for this school."""
    return _state(school_id, name)


@blp.route("/<name>", methods=["PUT"])
@refusals(blp)
@allowed("school.admin")
@blp.arguments(PluginSwitchSchema)
@blp.response(200, PluginStateSchema)
def switch_plugin(data, school_id: int, name: str):
    """Switch a plugin on (``{"enabled": true}``) or off for this school. The change is
    audited; sending the current state changes nothing."""
    context.host().info(name)
    context.host().set_enabled(context.db(), school_id, name, data["enabled"],
                               user_id=context.actor().user_id)
    return _state(school_id, name)
