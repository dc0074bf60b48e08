"""Converging-signals fixtures: the attendance helpers (marks through the real import path),
a police notification matched to a pupil, and a family link."""
from __future__ import annotations

import datetime as dt

import pytest

from core.calendar import LONDON
from core.models import FamilyLink
from tests.attendance.conftest import days, put, upn, weekdays  # noqa: F401  (fixtures)

D = dt.date


@pytest.fixture
def notify(session):
    """notify(school, pupil, day): a police notification received at 08:00 on ``day``, its
    child matched to ``pupil``."""
    from plugins.encompass.models import EncompassChild, EncompassNotification

    def _notify(school, pupil, day):
        at = dt.datetime.combine(day, dt.time(8), LONDON)
        n = EncompassNotification(school_id=school.id, incident_date=day - dt.timedelta(days=1),
                                  received_at=at, source="form", group_key=f"g{pupil.id}{day}",
                                  force="Test Police", force_key="test police",
                                  police_reference=f"R{pupil.id}{day:%m%d}",
                                  reference_key=f"r{pupil.id}{day:%m%d}")
        session.add(n)
        session.flush()
        session.add(EncompassChild(school_id=school.id, notification_id=n.id,
                                   first_name=pupil.first_name, last_name=pupil.last_name,
                                   pupil_id=pupil.id, match="matched"))
        session.flush()
        return n
    return _notify


@pytest.fixture
def link(session):
    """link(a, b): a current sibling link between two pupils of one trust."""
    def _link(a, b, relation="sibling"):
        lo, hi = sorted((a.id, b.id))
        row = FamilyLink(trust_id=a.trust_id, pupil_id=lo, related_pupil_id=hi,
                         relation=relation)
        session.add(row)
        session.flush()
        return row
    return _link
