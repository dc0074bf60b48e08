"""Fixtures for the training plugin's tests: a school with the plugin on, and people."""
from __future__ import annotations

import datetime as dt

import pytest

import plugins.training
from core.plugins import make_host, use_host
from plugins.training import service
from plugins.training.service import ensure_courses

from .training_constants import TODAY


def training_host():
    """The core and this plugin only, so these tests do not depend on the state of other
    plugins (the route-by-role test runs everything together)."""
    return make_host(load_entry_points=False, extra=[("training", plugins.training)])


@pytest.fixture(scope="session")
def migrated(database_factory, backend):
    return database_factory.create(backend, host=training_host())


@pytest.fixture
def host():
    h = training_host()
    use_host(h)
    yield h
    use_host(None)


@pytest.fixture
def courses(session):
    """courses(trust) -> {code: Course} (the statutory defaults)."""
    def _get(trust_id: int):
        return {c.code: c for c in ensure_courses(session, trust_id)}
    return _get


@pytest.fixture
def make_person(session):
    """make_person(school, job_role="teacher", **kw) -> StaffMember."""
    counter = iter(range(1, 10_000))

    def _make(school, job_role="teacher", **kw):
        n = next(counter)
        data = dict(name=kw.pop("name", f"Person {n}"), job_role=job_role)
        data.update(kw)
        return service.add_person(session, None, school.id, data)
    return _make


@pytest.fixture
def add_done(session):
    """add_done(person, course, date): a completed record, entered by the system."""
    def _add(person, course, when: dt.date, **kw):
        return service.add_record(session, None, person.school_id, person.id, course.id, when,
                                  today=kw.pop("today", TODAY), **kw)
    return _add
