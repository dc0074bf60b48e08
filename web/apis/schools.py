"""``/api/v1/schools``: the schools the caller can see, and the concern categories a school's
staff choose from."""
from __future__ import annotations

from flask_smorest import Blueprint
from sqlalchemy import select

from core import concerns
from core.models import School
from web import context
from web.apis import refusals
from web.apis.schemas import CategorySchema, SchoolSchema

blp = Blueprint("api_schools", __name__, url_prefix="/api/v1/schools",
                description="Schools of the trust that the caller belongs to")


@blp.route("", methods=["GET"])
@refusals(blp)
@blp.response(200, SchoolSchema(many=True))
def list_schools():
    """Schools where the caller holds a role (or all schools of their trust)."""
    a = context.actor()
    return context.db().scalars(select(School).where(School.id.in_(list(a.school_trust)))
                                .order_by(School.name)).all()


@blp.route("/<int:school_id>/categories", methods=["GET"])
@refusals(blp)
@blp.response(200, CategorySchema(many=True))
def list_categories(school_id: int):
    """The concern categories of the school's trust, in the order staff see them (anyone
    who may record a concern there needs them)."""
    context.require("concern.record", school_id)
    return concerns.categories(context.db(), context.actor().school_trust[school_id])
