"""Fixtures for the JSON API tests: callers authenticated by bearer token, as integrations
use the API."""
from __future__ import annotations

import pytest

from core import accounts


class ApiCaller:
    """A test client bound to one person's bearer token."""

    def __init__(self, client, token: str, user, actor):
        self.client, self.user, self.actor = client, user, actor
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url, **kw):
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url, json=None, **kw):
        return self.client.post(url, json=json, headers=self.headers, **kw)

    def put(self, url, json=None, **kw):
        return self.client.put(url, json=json, headers=self.headers, **kw)

    def open(self, url, method, **kw):
        return self.client.open(url, method=method, headers=self.headers, **kw)


@pytest.fixture
def caller(client, session, make_user):
    """caller(role, school=None, trust=None) -> ApiCaller with a fresh API token."""
    def _make(role, school=None, trust=None):
        user, actor = make_user(role, school=school, trust=trust)
        token = accounts.create_token(session, user.id, "tests")
        return ApiCaller(client, token, user, actor)
    return _make
