"""``/api/v1/trust/overview``: one row per school of the trust with the core's figures and
those of each plugin switched on there, for the trust safeguarding lead (audited)."""
from __future__ import annotations

import datetime as dt

from flask_smorest import Blueprint

from core.calendar import academic_year_start, london_today
from core.errors import NotFound, ValidationError
from core.overview import trust_overview
from core.policy import can
from web import context
from web.apis import refusals
from web.apis.schemas import OverviewQuerySchema, OverviewSchema

blp = Blueprint("api_trust", __name__, url_prefix="/api/v1/trust",
                description="The trust safeguarding lead's comparison of schools")


@blp.route("/overview", methods=["GET"])
@refusals(blp)
@blp.arguments(OverviewQuerySchema, location="query")
@blp.response(200, OverviewSchema)
def overview(args):
    """Figures per school for a period (default: this school year, 1 September to today).
    Each school's ``values`` are keyed ``plugin.key`` as listed in ``columns``; a plugin
    switched off for a school has no value there."""
    a = context.actor()
    trusts = sorted(t for t in a.trust_roles if can(a, "trust.overview", trust_id=t))
    trust_id = args.get("trust_id")
    if trust_id is None:
        if not trusts:
            raise NotFound("trust")
        if len(trusts) > 1:
            raise ValidationError({"trust_id": ["you lead several trusts: say which"]})
        trust_id = trusts[0]
    today = london_today()
    start = args.get("start") or dt.date(academic_year_start(today), 9, 1)
    end = args.get("end") or max(today, start)
    ov = trust_overview(context.db(), a, trust_id, start, end)
    columns = [{"key": f"{d.plugin}.{d.key}", "plugin": d.plugin, "label": d.label,
                "unit": d.unit, "national": d.national, "higher_is_better": d.higher_is_better}
               for d in ov.definitions]
    return {"trust_id": trust_id, "start": ov.start, "end": ov.end, "columns": columns,
            "schools": [{"id": sc.id, "name": sc.name, "urn": sc.urn,
                         "values": ov.cells.get(sc.id, {})} for sc in ov.schools]}
