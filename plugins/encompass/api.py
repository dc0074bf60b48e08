"""``POST /api/v1/encompass/notifications``: where police and local-authority systems send
notifications. Authenticated with the plugin's own client credentials (HTTP Basic: key id
and secret), scoped to one trust or one school and good for nothing else; the school is
found from the URN in the payload.

Answers: 201 created, 200 for a repeat (``duplicate``: nothing new; ``updated``: the later
version's new details were recorded), 401 for wrong credentials, 413 for an oversized body,
422 naming each bad field (including a URN the credential does not cover).
"""
from __future__ import annotations

import json

from flask import abort, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from plugins.encompass import service
from plugins.encompass.schemas import ApiNotificationSchema
from web import context

MAX_BODY = 64 * 1024

blp = Blueprint("api_encompass", __name__, url_prefix="/api/v1/encompass",
                description="Operation Encompass notifications from police and local "
                            "authority systems")


@blp.record_once
def _declare_security_scheme(state) -> None:
    """Name the credential scheme in the OpenAPI document."""
    api = state.app.extensions.get("mat_api")
    if api is not None and "encompassClient" not in api.spec.components.security_schemes:
        api.spec.components.security_scheme("encompassClient", {
            "type": "http", "scheme": "basic",
            "description": "An Encompass client's key id and secret (mat encompass create-client)"})


class ReceiptSchema(Schema):
    id = fields.Int(metadata={"description": "the notification's number at the school"})
    urn = fields.Str()
    status = fields.Str(metadata={"description": "created, duplicate or updated"})
    due_at = fields.DateTime(allow_none=True, metadata={
        "description": "when a key adult's response is due (morning registration on the next "
                       "school day); null while the school's calendar does not reach it"})
    deadline = fields.Str(metadata={
        "description": "'set', or 'calendar missing' when the school has not entered the "
                       "term the next school day falls in (the deadline is counted once it "
                       "is)"})


@blp.route("/notifications", methods=["POST"])
@blp.doc(requestBody={"required": True,
                      "content": {"application/json": {"schema": ApiNotificationSchema}}},
         security=[{"encompassClient": []}])
@blp.response(201, ReceiptSchema)
@blp.alt_response(200, schema=ReceiptSchema, description="a repeat of a notification held")
def post_notification():
    """Send a notification (credentials: HTTP Basic, key id and secret)."""
    session = context.db()
    client = service.authenticate(session, request.headers.get("Authorization"))
    if client is None:
        abort(401, description="Send this system's Encompass key id and secret as HTTP "
                               "Basic credentials")
    payload = _read_capped_json()
    result = service.post_from_system(session, client, payload)
    status = "created" if result.created else "updated" if result.updated else "duplicate"
    n = result.notification
    return {"id": n.id, "urn": payload["urn"], "status": status, "due_at": n.due_at,
            "deadline": "set" if n.due_at is not None else service.CALENDAR_MISSING}, \
        201 if result.created else 200


def _read_capped_json():
    """The body as JSON (None when it is not JSON), read only after the credentials were
    checked and never past ``MAX_BODY``: a chunked body carries no Content-Length, so the cap
    is counted on the bytes themselves (at most ``MAX_BODY + 1`` are read)."""
    too_large = f"a notification must be under {MAX_BODY // 1024} KB"
    if request.content_length is not None and request.content_length > MAX_BODY:
        abort(413, description=too_large)
    raw, stream = b"", request.stream
    while len(raw) <= MAX_BODY:
        chunk = stream.read(MAX_BODY + 1 - len(raw))
        if not chunk:
            break
        raw += chunk
    if len(raw) > MAX_BODY:
        abort(413, description=too_large)
    if not request.is_json:
        return None
    try:
        return json.loads(raw)
    except RecursionError:  # the parser recurses: nesting thousands deep is not a 500
        abort(400, description="The JSON body is nested too deeply.")
    except ValueError:
        return None
