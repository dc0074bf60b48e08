"""Fixtures of the page tests: an app whose plugin host carries a throwaway plugin
(``tinyweb``: a page, panels, a nav link, a chronology entry), and a small trust to look at."""
from __future__ import annotations

import datetime as dt
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.calendar import LONDON
from core.plugins import make_host, use_host

HERE = Path(__file__).resolve().parent


def load(name: str):
    """Import a helper of this folder by path (test folders are not packages, and another
    folder may have a module of the same name)."""
    spec = importlib.util.spec_from_file_location(f"mat_web_tests_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tinyweb = load("tinyweb")
CSRF_VALUE = "test-csrf-token"  # what tests/conftest.py's login_as puts in the session


@pytest.fixture
def host():
    """Only the core and the throwaway plugin: page tests do not depend on real plugins."""
    h = make_host(load_entry_points=False, extra=[(tinyweb.NAME, tinyweb.TinyWeb())])
    use_host(h)
    yield h
    use_host(None)


# On PostgreSQL a request's session sets its row-level-security role and tenant settings on
# the test's one shared connection, and they last until the test's outer transaction ends:
# a check through the system-scoped ``session`` across schools after a request therefore
# runs ``with system_scope(session, ...)``, which resets them.


@dataclass
class World:
    trust: object
    school: object       # the school the tests look at
    other: object        # another school of the same trust
    pupil: object
    sibling: object      # the pupil's sibling at the other school
    concern: object      # recorded by the system, awaiting triage


@pytest.fixture
def world(session, make_trust, make_school, make_pupil, make_concern) -> World:
    from core import pupils

    trust = make_trust()
    school = make_school(trust=trust, name="Northfield Primary")
    other = make_school(trust=trust, name="Riverside Secondary")
    pupil = make_pupil(school, first_name="Amelia", last_name="Okafor", year_group=4)
    sibling = make_pupil(other, first_name="Kai", last_name="Okafor", year_group=8)
    pupils.link_family(session, None, pupil.id, sibling.id, "sibling")
    concern = make_concern(school, [pupil], fact="Arrived without a coat in the rain.",
                           child_words="I don't have one that fits.", location="School gate",
                           occurred_at=dt.datetime(2026, 10, 5, 8, 45, tzinfo=LONDON))
    session.flush()
    return World(trust, school, other, pupil, sibling, concern)


@pytest.fixture
def as_role(login_as, world):
    """as_role(role) signs the client in with that role in the world's school (or trust)."""
    def _as(role: str, school=None, mfa: bool = True):
        if role in ("trust_lead", "trust_admin"):
            return login_as(role, trust=world.trust, mfa=mfa)
        return login_as(role, school=school or world.school, mfa=mfa)
    return _as
