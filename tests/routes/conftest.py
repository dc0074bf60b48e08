"""The route-by-role test's app: every installed plugin plus a throwaway one, so the walk
also covers a plugin's page and endpoint (and the ``{name}`` of the plugin switch)."""
from __future__ import annotations

import pytest
from tests.routes.route_walk import TINY, tiny_plugin

from core.plugins import make_host, use_host


@pytest.fixture
def host():
    h = make_host(extra=[(TINY, tiny_plugin.make_tiny_plugin(TINY))])
    use_host(h)
    yield h
    use_host(None)
