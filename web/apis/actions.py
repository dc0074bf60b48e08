"""``/api/v1/me/actions`` and ``/api/v1/schools/{school_id}/actions/{entry_id}/done``: the
actions a person owns, and recording one as done (by its owner or the DSL team)."""
from __future__ import annotations

from flask_smorest import Blueprint

from core import concern_actions
from web import context
from web.apis import allowed, refusals
from web.apis.schemas import ActionDoneSchema, ActionQuerySchema, ActionSchema, EntrySchema

blp = Blueprint("api_actions", __name__, url_prefix="/api/v1",
                description="Actions on concerns owned by people: my actions, marking done")


@blp.route("/me/actions", methods=["GET"])
@refusals(blp)
@blp.arguments(ActionQuerySchema, location="query")
@blp.response(200, ActionSchema(many=True))
def my_actions(args):
    """The caller's actions in every school they work in, soonest due first (open ones unless
    ``include_done``). Each read is audited: an action's text is part of the case file."""
    return concern_actions.my_actions(context.db(), context.actor(),
                                      include_done=args["include_done"])


@blp.route("/schools/<int:school_id>/actions/<int:entry_id>/done", methods=["POST"])
@refusals(blp)
@allowed("concern.record")
@blp.arguments(ActionDoneSchema)
@blp.response(201, EntrySchema)
def action_done(data, school_id: int, entry_id: int):
    """Record an action as done (an ``action_done`` entry naming it). Its owner may, and the
    DSL team; for anyone else the action does not exist (404)."""
    return concern_actions.complete_action(context.db(), context.actor(), school_id, entry_id,
                                           data["body"])
