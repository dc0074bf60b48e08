"""Fixtures for the Encompass tests: key adults, notification payloads, API credentials."""
from __future__ import annotations

import base64
import datetime as dt

import pytest

from plugins.encompass import clients
from plugins.encompass.models import KeyAdult


@pytest.fixture
def make_key_adult(session, make_user):
    """make_key_adult(school, role="staff", mfa=True) -> (User, Actor)."""
    def _make(school, role="staff", mfa=True):
        user, actor = make_user(role, school=school, mfa=mfa)
        session.add(KeyAdult(school_id=school.id, user_id=user.id))
        session.flush()
        return user, actor
    return _make


@pytest.fixture
def payload():
    """payload(children=..., **fields): a notification as a system would post it (JSON)."""
    def _make(children=None, **kw):
        data = {"force": "Northshire Police", "police_reference": "DA/2026/0001",
                "incident_date": "2026-10-03",
                "children": children or [{"first_name": "Amelia", "last_name": "Smith",
                                          "date_of_birth": "2016-04-07"}]}
        data.update(kw)
        return {k: v for k, v in data.items() if v is not None}
    return _make


@pytest.fixture
def api_client(session):
    """api_client(trust, urn=None) -> the Authorization header value for a new credential."""
    def _make(trust, urn=None):
        client, secret = clients.create_client(session, trust.id, "Northshire Police", urn)
        raw = base64.b64encode(f"{client.key_id}:{secret}".encode()).decode()
        return f"Basic {raw}"
    return _make


RECEIVED = dt.datetime(2026, 10, 4, 21, 0, tzinfo=dt.timezone.utc)  # a Sunday evening


@pytest.fixture
def fresh(session):
    """fresh() -> the test session, ready to read what a request committed (on PostgreSQL a
    request leaves its row-security role set on the one shared test connection; entering
    the system scope resets it)."""
    from core.db import system_scope

    def _fresh():
        with system_scope(session, "test re-read"):
            pass
        session.expire_all()
        return session
    return _fresh
