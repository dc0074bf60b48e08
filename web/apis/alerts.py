"""``/api/v1/schools/{school_id}/alerts``: what the DSL team should look at. Marking an alert
read keeps it findable."""
from __future__ import annotations

from flask_smorest import Blueprint

from core import alerts
from web import context
from web.apis import allowed, refusals
from web.apis.schemas import AlertQuerySchema, AlertSchema

blp = Blueprint("api_alerts", __name__, url_prefix="/api/v1/schools/<int:school_id>/alerts",
                description="Alerts for a school's DSL team")


@blp.route("", methods=["GET"])
@refusals(blp)
@allowed("dashboard.view")
@blp.arguments(AlertQuerySchema, location="query")
@blp.response(200, AlertSchema(many=True))
def list_alerts(args, school_id: int):
    """Alerts newest first, read ones included unless ``unread=true``."""
    return alerts.list_alerts(context.db(), context.actor(), school_id,
                              read=False if args["unread"] else None,
                              plugin=args.get("plugin"))


@blp.route("/<int:alert_id>/read", methods=["POST"])
@refusals(blp)
@allowed("dashboard.view")
@blp.response(200, AlertSchema)
def mark_read(school_id: int, alert_id: int):
    """Mark an alert read (the first reader and time are kept)."""
    return alerts.mark_read(context.db(), context.actor(), school_id, alert_id)
