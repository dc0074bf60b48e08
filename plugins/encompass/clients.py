"""Credentials for police and local-authority systems that post notifications.

A client belongs to one trust and may be limited to one school (by URN). It is good for
this one purpose only: it is not a user and opens no page. The secret is shown once when
created; only its SHA-256 is kept (it is 256 random bits, so a slow hash adds nothing).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.db import system_scope, utcnow
from core.errors import ValidationError
from core.models import School, Trust
from core.plugins import current_host

from plugins.encompass.definition import NAME
from plugins.encompass.models import EncompassApiClient

NOT_COVERED = "is not a school this credential may notify"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_client(session: Session, trust_id: int, name: str, urn: str | None = None
                  ) -> tuple[EncompassApiClient, str]:
    """Create a client for a trust (or one of its schools). Returns it and the secret,
    which is not stored and cannot be shown again."""
    errors = {}
    name = (name or "").strip()
    if not name or len(name) > 120:
        errors["name"] = ["is required (at most 120 characters)"]
    if session.get(Trust, trust_id) is None:
        errors["trust"] = ["no such trust"]
    elif urn is not None and session.scalar(select(School.id).where(
            School.urn == urn, School.trust_id == trust_id)) is None:
        errors["urn"] = ["no school of this trust has that URN"]
    if errors:
        raise ValidationError(errors)
    secret = secrets.token_urlsafe(32)
    client = EncompassApiClient(trust_id=trust_id, key_id="enc_" + secrets.token_hex(8),
                                name=name, urn=urn, secret_hash=_digest(secret))
    session.add(client)
    session.flush()
    audit.record(session, "encompass.api_client_created", object_type="encompass_api_client",
                 object_id=client.id, trust_id=trust_id, detail={"name": name, "urn": urn})
    return client, secret


def revoke_client(session: Session, key_id: str) -> EncompassApiClient:
    client = session.scalar(select(EncompassApiClient).where(EncompassApiClient.key_id == key_id))
    if client is None:
        raise ValidationError({"key_id": ["no such client"]})
    client.revoked_at = utcnow()
    session.flush()
    audit.record(session, "encompass.api_client_revoked", object_type="encompass_api_client",
                 object_id=client.id, trust_id=client.trust_id)
    return client


def authenticate(session: Session, header: str | None) -> EncompassApiClient | None:
    """The client named by an ``Authorization: Basic <key_id:secret>`` header, if the
    secret is right and the client is not revoked."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        key_id, _, secret = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    with system_scope(session, "encompass client sign-in"):
        client = session.scalar(select(EncompassApiClient).where(
            EncompassApiClient.key_id == key_id))
        if client is None or client.revoked_at is not None or \
                not hmac.compare_digest(client.secret_hash, _digest(secret)):
            return None
        client.last_used_at = utcnow()
        session.flush()  # inside the system scope: the caller's may not write trust rows
    return client


def school_for(session: Session, client: EncompassApiClient, urn: str) -> int:
    """The school a client may notify for ``urn``. An unknown URN, one of another trust
    and one outside the client's single school get the same answer, so a credential never
    learns that schools beyond its reach exist."""
    if client.urn is not None and urn != client.urn:
        raise ValidationError({"urn": [NOT_COVERED]})
    with system_scope(session, "encompass route by URN"):
        school_id = session.scalar(select(School.id).where(School.urn == urn,
                                                           School.trust_id == client.trust_id))
        if school_id is None:
            raise ValidationError({"urn": [NOT_COVERED]})
        if not current_host().is_enabled(session, school_id, NAME):
            raise ValidationError({"urn": ["this school does not take Operation Encompass "
                                           "notifications here: use its agreed fallback"]})
    return school_id
