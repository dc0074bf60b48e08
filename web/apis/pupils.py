"""``/api/v1/schools/{school_id}/pupils``: find pupils (anyone who records concerns), put a
pupil on roll, change their details and take them off roll (school admins and the DSL team),
the history of their details and their vulnerability flags (the DSL team; every read
audited)."""
from __future__ import annotations

from flask_smorest import Blueprint
from sqlalchemy import select

from core import audit, pupils
from core.errors import NotFound
from core.models import PupilFlag
from web import context
from web.apis import allowed, refusals
from web.apis.schemas import (
    FlagCreateSchema,
    FlagEndSchema,
    FlagSchema,
    LeaveSchema,
    PupilChangeSchema,
    PupilCreateSchema,
    PupilLeftSchema,
    PupilPageSchema,
    PupilQuerySchema,
    PupilSchema,
    PupilUpdateSchema,
)

blp = Blueprint("api_pupils", __name__, url_prefix="/api/v1/schools/<int:school_id>/pupils",
                description="Pupils on a school's roll and their vulnerability flags")


@blp.route("", methods=["GET"])
@refusals(blp)
@allowed("pupil.search")
@blp.arguments(PupilQuerySchema, location="query")
@blp.response(200, PupilPageSchema)
def list_pupils(args, school_id: int):
    """Search the roll by name or UPN, a page at a time (pupils who left only on request)."""
    page, per_page = args["page"], args["per_page"]
    skip = (page - 1) * per_page
    rows = pupils.search_pupils(context.db(), context.actor(), school_id, args["q"],
                                include_left=args["include_left"], limit=skip + per_page + 1)
    return {"items": rows[skip:skip + per_page], "page": page, "per_page": per_page,
            "has_more": len(rows) > skip + per_page}


@blp.route("", methods=["POST"])
@refusals(blp)
@allowed("pupil.manage")
@blp.arguments(PupilCreateSchema)
@blp.response(201, PupilSchema)
def create_pupil(data, school_id: int):
    """Put a pupil on the roll. The UPN's check letter is verified; a UPN already on this
    school's roll is refused."""
    return pupils.add_pupil(context.db(), context.actor(), school_id, **data)


@blp.route("/<int:pupil_id>", methods=["GET"])
@refusals(blp)
@blp.response(200, PupilSchema)
def get_pupil(school_id: int, pupil_id: int):
    """One pupil's details, for anyone who may search the roll."""
    return pupils.get_pupil(context.db(), context.actor(), school_id, pupil_id)


@blp.route("/<int:pupil_id>", methods=["PATCH"])
@refusals(blp)
@allowed("pupil.manage")
@blp.arguments(PupilUpdateSchema)
@blp.response(200, PupilSchema)
def update_pupil(data, school_id: int, pupil_id: int):
    """Change a pupil's details (only the fields sent). Every change is kept in the pupil's
    history (from, to, who, when) and audited."""
    s, a = context.db(), context.actor()
    pupils.update_pupil(s, a, school_id, pupil_id, **data)
    return pupils.get_pupil(s, a, school_id, pupil_id, "pupil.manage")


@blp.route("/<int:pupil_id>/history", methods=["GET"])
@refusals(blp)
@blp.response(200, PupilChangeSchema(many=True))
def pupil_history(school_id: int, pupil_id: int):
    """Every change to the pupil's details, newest first (the DSL team; audited)."""
    s, a = context.db(), context.actor()
    rows = pupils.pupil_history(s, a, school_id, pupil_id)
    audit.record(s, "pupil.history_read", actor=a, object_type="pupil", object_id=pupil_id,
                 school_id=school_id)
    return rows


@blp.route("/<int:pupil_id>/leave", methods=["POST"])
@refusals(blp)
@allowed("pupil.manage")
@blp.arguments(LeaveSchema)
@blp.response(200, PupilLeftSchema)
def leave(data, school_id: int, pupil_id: int):
    """Take the pupil off roll from ``date``. A destination URN of a school in the trust opens
    the in-trust transfer of the child-protection file, one outside the trust the encrypted
    bundle route; ``destination_unknown`` starts the children-missing-education steps (where
    the transition plugin is on). A pupil already off roll, a date before they joined or more
    than 13 weeks ahead, or the school's own URN is refused naming the field."""
    return pupils.mark_left(context.db(), context.actor(), school_id, pupil_id, data["date"],
                            data["reason"], data.get("destination_urn"),
                            destination_unknown=data["destination_unknown"],
                            require_destination=True)


@blp.route("/<int:pupil_id>/flags", methods=["GET"])
@refusals(blp)
@blp.response(200, FlagSchema(many=True))
def list_flags(school_id: int, pupil_id: int):
    """Every vulnerability flag the pupil has had, oldest first (the DSL team; audited)."""
    s, a = context.db(), context.actor()
    rows = pupils.flag_history(s, a, school_id, pupil_id)
    audit.record(s, "pupil.flags_read", actor=a, object_type="pupil", object_id=pupil_id,
                 school_id=school_id)
    return rows


@blp.route("/<int:pupil_id>/flags", methods=["POST"])
@refusals(blp)
@allowed("casefile.write")
@blp.arguments(FlagCreateSchema)
@blp.response(201, FlagSchema)
def add_flag(data, school_id: int, pupil_id: int):
    """Start a flag (a flag already active is answered as it is)."""
    return pupils.set_flag(context.db(), context.actor(), school_id, pupil_id, data["flag"],
                           data["start_date"], data["note"])


@blp.route("/<int:pupil_id>/flags/<int:flag_id>/end", methods=["POST"])
@refusals(blp)
@allowed("casefile.write")
@blp.arguments(FlagEndSchema)
@blp.response(200, FlagSchema)
def end_flag(data, school_id: int, pupil_id: int, flag_id: int):
    """End an active flag from ``end_date``; the flag's history is kept."""
    s, a = context.db(), context.actor()
    pupils.get_pupil(s, a, school_id, pupil_id, "casefile.write")
    row = s.scalar(select(PupilFlag).where(PupilFlag.id == flag_id,
                                           PupilFlag.pupil_id == pupil_id))
    if row is None:
        raise NotFound("flag")
    return pupils.end_flag(s, a, school_id, pupil_id, row.flag, data["end_date"])
