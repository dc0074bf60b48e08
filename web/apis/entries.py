"""``/api/v1/schools/{school_id}/concerns/{concern_id}/entries``: the DSL team's work on a
concern, appended and never edited. There is deliberately no PUT, PATCH or DELETE: a
correction is a new ``amendment`` entry that names what it corrects."""
from __future__ import annotations

from flask_smorest import Blueprint

from core import concerns
from web import context
from web.apis import allowed, refusals
from web.apis.schemas import EntryCreateSchema, EntrySchema

blp = Blueprint("api_entries", __name__,
                url_prefix="/api/v1/schools/<int:school_id>/concerns/<int:concern_id>/entries",
                description="Triage, actions, decisions, referrals and outcomes on a concern "
                            "(append-only)")


@blp.route("", methods=["POST"])
@refusals(blp)
@allowed("casefile.write")
@blp.arguments(EntryCreateSchema)
@blp.response(201, EntrySchema)
def add_entry(data, school_id: int, concern_id: int):
    """Append an entry. What each ``kind`` needs:

    - ``triage``: ``risk_level`` (low, medium, high, immediate), optionally ``category_id``;
    - ``action``: ``body``, ``due_date`` and ``owner_id`` (who is to do it: a member of the
      school's staff; the caller when omitted); ``action_done``: ``refers_to_id`` of the action;
    - ``decision``, ``note``, ``closure``, ``reopened``: ``body`` (the rationale);
    - ``referral``: ``referral_to`` (early_help, childrens_social_care, police, lado,
      prevent, other) and ``body``; ``outcome``: ``refers_to_id`` of the referral and ``body``;
    - ``amendment``: ``body`` and, unless it corrects the original record, ``refers_to_id``.

    ``body_map`` (triage, note, amendment): marks seen on the child's body. ``attachments``:
    files with the entry (base64), seen by the DSL team only.
    """
    kind = data.pop("kind")
    files = [concerns.NewAttachment(f["filename"], f["content_type"], f["data"])
             for f in data.pop("attachments")]
    return concerns.add_entry(context.db(), context.actor(), school_id, concern_id, kind,
                              attachments=files, **data)
