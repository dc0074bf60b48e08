"""How many SQL statements recording a concern through the API costs, on PostgreSQL (row-level
security on), so that a change which adds work to every write fails here rather than in the
writes benchmark (``python -m benchmarks writes``; see docs/operations.md).

What is counted: every statement the request sends through a cursor, from the bearer token's
look-up to the answer's read-back, for a concern about one pupil with no categories or files,
by a member of staff whose token was used a moment ago. Not counted: the test harness's own
SAVEPOINT and RELEASE around the request's transaction (in production these are the BEGIN and
COMMIT the driver sends itself, with the pool's connection check). Today that is 16:

- the token, its person, and their roles with each school's trust (3, in the system scope);
- ``SET LOCAL ROLE mat_tenant`` and the scope's settings, once (2);
- the pupils checked, the concern and its pupil link written (3);
- the audit line: its chain's lock, the chain's head, the line (3);
- the accumulation check: the trust's rule, the pupil's recent concerns, the standing alert (3);
- the school's plugins (for the concern-recorded hook), the pupils read back for the answer (2).
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from core.models import ApiToken, AuditEntry, Concern

pytestmark = pytest.mark.postgresql_only

BUDGET = 18  # 16 today: a little headroom, so only a real regression fails
HARNESS = re.compile(r"^(SAVEPOINT|RELEASE SAVEPOINT) sa_savepoint_\d+$")


def _body(pupil, n: int) -> dict:
    return {"pupil_ids": [pupil.id], "occurred_at": "2026-10-12T08:45:00",
            "fact": f"Said something worrying at lunch ({n})."}


def _statements(db, send) -> tuple[object, list[str]]:
    sent: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        sent.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        answer = send()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return answer, sent


def test_recording_a_concern_stays_within_its_statement_budget(caller, make_school,
                                                               make_pupil, db, session):
    school = make_school()
    first, second = make_pupil(school), make_pupil(school)
    staff = caller("staff", school)
    url = f"/api/v1/schools/{school.id}/concerns"

    # the token's first use of the minute writes its last-used time; the next one does not
    answer, warm = _statements(db, lambda: staff.post(url, json=_body(first, 1)))
    assert answer.status_code == 201, answer.get_json()
    assert sum(s.startswith("UPDATE api_tokens") for s in warm) == 1

    # every request's transaction starts as the login role in production; here all share
    # the test's one outer transaction, which the last request left in its tenant role, so
    # the arranging session takes the connection back first (outside what is counted)
    assert session.scalar(select(Concern.fact).where(Concern.school_id == school.id)) == \
        "Said something worrying at lunch (1)."

    answer, sent = _statements(db, lambda: staff.post(url, json=_body(second, 2)))
    assert answer.status_code == 201, answer.get_json()
    harness = [s for s in sent if HARNESS.match(s)]
    counted = [s for s in sent if not HARNESS.match(s)]
    listing = "\n".join(f"{n:2}. {s[:120]}" for n, s in enumerate(counted, 1))

    # one transaction for the whole request (token, person and work together)
    assert [h.split()[0] for h in harness] == ["SAVEPOINT", "RELEASE"], listing
    assert len(counted) <= BUDGET, f"{len(counted)} statements:\n{listing}"
    # the tenant scope is set up once, and nothing steps out of it and back
    assert sum(s == "SET LOCAL ROLE mat_tenant" for s in counted) == 1, listing
    assert not any(s.startswith("RESET ROLE") for s in counted), listing
    # and nothing but finding who is asking runs before it, as the system
    before = counted[:counted.index("SET LOCAL ROLE mat_tenant")]
    assert all(re.match(r"SELECT (api_tokens|users|memberships)\.", s) for s in before), listing
    assert sum(s.startswith("SELECT set_config('mat.schools'") for s in counted) == 1, listing
    # the school's trust comes with the person's roles, not from a look-up of its own
    assert not any(s.startswith("SELECT schools.trust_id FROM schools") for s in counted), \
        listing
    assert sum(s.startswith("SELECT users.") for s in counted) == 1, listing
    assert not any(s.startswith("UPDATE api_tokens") for s in counted), listing
    # what the budget must still pay for: the audit line is written with the concern
    assert sum(s.startswith("INSERT INTO audit_entries") for s in counted) == 1, listing
    assert sum(s.startswith("INSERT INTO concerns ") for s in counted) == 1, listing

    stored = session.scalar(select(Concern).where(Concern.id == answer.get_json()["id"]))
    assert stored.fact == "Said something worrying at lunch (2)."
    line = session.scalar(select(AuditEntry).where(AuditEntry.action == "concern.recorded",
                                                   AuditEntry.object_id == str(stored.id)))
    assert line is not None and line.user_id == staff.user.id and line.school_id == school.id
    assert session.scalar(select(ApiToken.last_used_at).where(
        ApiToken.user_id == staff.user.id)) is not None
