"""``/api/v1/schools``: the schools the caller can see."""
from __future__ import annotations

from flask_login import login_required
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select

from core.models import School
from web import context

blp = Blueprint("api_schools", __name__, url_prefix="/api/v1/schools",
                description="Schools of the trust that the caller belongs to")


class SchoolSchema(Schema):
    id = fields.Int(dump_only=True)
    urn = fields.Str(metadata={"description": "DfE 6-digit unique reference number"})
    name = fields.Str()
    phase = fields.Str()
    trust_id = fields.Int()


@blp.route("")
@blp.response(200, SchoolSchema(many=True))
@login_required
def list_schools():
    """Schools where the caller holds a role (or all schools of their trust)."""
    a = context.actor()
    return context.db().scalars(select(School).where(School.id.in_(list(a.school_trust)))
                                .order_by(School.name)).all()
