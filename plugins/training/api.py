"""``/api/v1/schools/<id>/training``: compliance, the staff list and new records, for MIS
and HR systems. Same access as the pages; bad input gets 422 naming the field."""
from __future__ import annotations

from flask_login import login_required
from flask_smorest import Blueprint

from plugins.training import service
from plugins.training.schemas import ComplianceSchema, PersonSchema, RecordInSchema, RecordSchema
from web import context

blp = Blueprint("api_training", __name__, url_prefix="/api/v1/schools/<int:school_id>/training",
                description="Staff safeguarding training")


@blp.route("/compliance")
@blp.response(200, ComplianceSchema)
@login_required
def get_compliance(school_id: int):
    """The school's compliance matrix today (training managers and the trust)."""
    m = service.compliance_matrix(context.db(), context.actor(), school_id)
    return {"school_id": school_id, "on": m.today, "compliance_pct": m.compliance_pct,
            "dsl_in_date": service.dsl_in_date(m),
            "people": [{"staff_id": r.person.id, "name": r.person.name, "compliant": r.compliant,
                        "courses": [{"course": c.code, "status": r.cells[c.id].status,
                                     "completed_on": r.cells[c.id].completed_on,
                                     "due_on": r.cells[c.id].due_on}
                                    for c in m.courses if r.cells.get(c.id) is not None]}
                       for r in m.rows]}


@blp.route("/staff")
@blp.response(200, PersonSchema(many=True))
@login_required
def list_staff(school_id: int):
    """Everyone currently on the school's staff list."""
    context.require("training.view", school_id)
    return service.current_staff(context.db(), school_id)


@blp.route("/staff", methods=["POST"])
@blp.arguments(PersonSchema)
@blp.response(201, PersonSchema)
@login_required
def add_staff(data: dict, school_id: int):
    """Add a person to the staff list (training managers)."""
    context.require("training.manage", school_id)
    return service.add_person(context.db(), context.actor(), school_id, data)


@blp.route("/records", methods=["POST"])
@blp.arguments(RecordInSchema)
@blp.response(201, RecordSchema)
@login_required
def add_record(data: dict, school_id: int):
    """Record completed training (training managers). Certificates are uploaded on the page."""
    context.require("training.manage", school_id)
    return service.add_record(context.db(), context.actor(), school_id, **data)
