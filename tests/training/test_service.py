"""The training plugin's public surface, ``plugins.training.service``: it needs no web app,
everything it offers is documented, and a record's life (entered, counted, withdrawn) is
seen in the compliance figures through it alone. The detailed rules are tested through the
same module in test_validity, test_rules, test_needs, test_policies and test_sessions."""
from __future__ import annotations

import datetime as dt
import inspect
import subprocess
import sys

import pytest

from core.errors import NotFound, ValidationError
from plugins.training import service

from .training_constants import TODAY


def test_service_imports_no_flask():
    code = ("import sys, plugins.training.service; "
            "sys.exit(1 if 'flask' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_every_public_name_exists_and_is_documented():
    undocumented = [name for name in service.__all__
                    if (inspect.isfunction(getattr(service, name))
                        or inspect.isclass(getattr(service, name)))
                    and not inspect.getdoc(getattr(service, name))]
    assert undocumented == []


def _status(matrix, person, code):
    row = next(r for r in matrix.rows if r.person.id == person.id)
    course = next(c for c in matrix.courses if c.code == code)
    return row.cells[course.id].status


def test_a_withdrawn_record_stops_counting(session, make_school, make_person, make_user,
                                           courses, add_done):
    school, other = make_school(), make_school()
    c = courses(school.trust_id)
    teacher = make_person(school, "teacher")
    rec = add_done(teacher, c["prevent"], dt.date(2026, 10, 1))
    before = service.build_matrix(session, school.id, TODAY)
    assert _status(before, teacher, "prevent") == service.COMPLIANT

    dsl = make_user("dsl", school)[1]
    with pytest.raises(ValidationError) as no_reason:
        service.withdraw_record(session, dsl, school.id, rec.id, "  ")
    assert "reason" in no_reason.value.errors
    with pytest.raises(NotFound):  # a record is withdrawn only in its own school
        service.withdraw_record(session, make_user("dsl", other)[1], other.id, rec.id, "typo")
    with pytest.raises(NotFound):  # staff keep no records
        service.withdraw_record(session, make_user("staff", school)[1], school.id, rec.id,
                                "typo")
    service.withdraw_record(session, dsl, school.id, rec.id, "entered against the wrong person")

    after = service.build_matrix(session, school.id, TODAY)
    assert _status(after, teacher, "prevent") == service.MISSING
    figures = {m.key: m.value for m in service.school_metrics(session, school.id, TODAY,
                                                              TODAY)}
    assert figures["compliance_pct"] == after.compliance_pct
    assert [d.key for d in service.METRIC_DEFINITIONS] == list(figures)
    with pytest.raises(ValidationError):  # once only
        service.withdraw_record(session, dsl, school.id, rec.id, "again")
