"""Fixtures for transition: two schools of one trust with their DSL teams, a pupil with a
history, and sessions acting as one person at a time (each a savepoint of the test's
transaction, so PostgreSQL's row-level security applies as it would in a request)."""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest

import plugins.transition
from core import concerns, hookimpl, pupils
from core.calendar import LONDON
from core.contributions import PluginInfo, TransferSection
from core.db import SYSTEM
from core.plugins import make_host, use_host


class AttendanceLike:
    """A stand-in for another plugin contributing a transfer section (as attendance does),
    so these tests do not depend on the other plugins' work in progress."""

    @hookimpl
    def mat_plugin_info(self):
        return PluginInfo("registers", "Registers", "test plugin")

    @hookimpl
    def mat_transfer_sections(self, session, school_id, pupil_id):
        return [TransferSection("registers", "Attendance summary",
                                {"attendance_pct": 91.5,
                                 "absences": [{"id": 1, "title": "Unexplained absence, 3 days"}]},
                                "Attendance 91.5% this year.")]


@pytest.fixture
def host():
    """Core, transition and the stand-in plugin only."""
    h = make_host(load_entry_points=False,
                  extra=[("transition", plugins.transition), ("registers", AttendanceLike())])
    use_host(h)
    yield h
    use_host(None)


@contextmanager
def acting(db, actor=None):
    """A session for ``actor`` (system when None), committed at the end of the block."""
    s = db.session(actor.scope() if actor is not None else SYSTEM)
    try:
        yield s
        s.commit()
    finally:
        s.close()


@pytest.fixture
def world(session, make_trust, make_school, make_user, make_pupil, make_concern):
    """Sender and receiver in one trust, each with a DSL; a pupil of the sender with a concern,
    two DSL entries and a child-protection-plan flag."""
    trust = make_trust()
    sender = make_school(trust=trust, name="Oakfield Primary")
    receiver = make_school(trust=trust, name="Beech Hill Academy")
    _, dsl_s = make_user("dsl", school=sender)
    _, dsl_r = make_user("dsl", school=receiver)
    _, staff_s = make_user("staff", school=sender)
    pupil = make_pupil(sender, first_name="Maya", last_name="Okafor", upn="K330400115007",
                       year_group=4)
    concern = make_concern(sender, [pupil], actor=staff_s, fact="Bruise on the upper arm.",
                           child_words="I fell over.",
                           occurred_at=dt.datetime(2026, 10, 5, 10, 30, tzinfo=LONDON))
    triage = concerns.add_entry(session, dsl_s, sender.id, concern.id, "triage",
                                risk_level="medium",
                                created_at=dt.datetime(2026, 10, 5, 13, 0, tzinfo=LONDON))
    concerns.add_entry(session, dsl_s, sender.id, concern.id, "note", body="Spoke to mum.",
                       created_at=dt.datetime(2026, 10, 6, 9, 0, tzinfo=LONDON))
    pupils.set_flag(session, None, sender.id, pupil.id, "cp_plan", dt.date(2026, 9, 10),
                    "Plan since September")
    pupils.set_flag(session, None, sender.id, pupil.id, "eal", dt.date(2025, 9, 10))
    pupils.end_flag(session, dsl_s, sender.id, pupil.id, "eal", dt.date(2026, 3, 1))
    session.flush()
    return {"trust": trust, "sender": sender, "receiver": receiver, "dsl_s": dsl_s,
            "dsl_r": dsl_r, "staff_s": staff_s, "pupil": pupil, "concern": concern,
            "triage": triage}
