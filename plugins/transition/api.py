"""``/api/v1/schools/{school_id}/transition``: transfers for the two DSL teams involved (the
sender's outgoing list, the receiver's inbox), one transfer with its steps, and the receiving
DSL's confirmation of receipt."""
from __future__ import annotations

from flask_login import login_required
from flask_smorest import Blueprint

from plugins.transition import service
from plugins.transition.schemas import (
    StepSchema,
    TransferDetailSchema,
    TransferEventSchema,
    TransferListSchema,
    TransferSchema,
)
from web import context

blp = Blueprint("api_transition", __name__,
                url_prefix="/api/v1/schools/<int:school_id>/transition",
                description="Transfers of the child-protection file between schools")


@blp.route("/transfers", methods=["GET"])
@blp.response(200, TransferListSchema)
@login_required
def list_transfers(school_id: int):
    """The school's outgoing transfers and the files sent to it from schools of the trust."""
    context.require("transfer.handle", school_id)
    s, a = context.db(), context.actor()
    return {"outgoing": service.outgoing(s, a, school_id),
            "inbox": service.inbox(s, a, school_id)}


@blp.route("/transfers/<int:transfer_id>", methods=["GET"])
@blp.response(200, TransferDetailSchema)
@login_required
def get_transfer(school_id: int, transfer_id: int):
    """One transfer and its steps, for the sending or the receiving DSL team."""
    context.require("transfer.handle", school_id)
    s, a = context.db(), context.actor()
    side = service.load(s, a, school_id, transfer_id)
    t = side.transfer
    out = {name: getattr(t, name) for name in TransferSchema().fields}
    return {**out, "side": side.role, "events": service.events_of(s, t)}


@blp.route("/transfers/<int:transfer_id>/receipt", methods=["POST"])
@blp.arguments(StepSchema)
@blp.response(201, TransferEventSchema)
@login_required
def confirm_receipt(data, school_id: int, transfer_id: int):
    """The receiving DSL confirms the file arrived (the KCSIE confirmation)."""
    context.require("transfer.handle", school_id)
    return service.confirm_receipt(context.db(), context.actor(), school_id, transfer_id,
                                   key=data.get("key"))
