"""``mat pupils leave``: a pupil found by UPN or id taken off roll with a destination or "not
known"; bad input names the field and changes nothing."""
from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from sqlalchemy import select

from core.cli import build_cli
from core.db import SYSTEM
from core.models import AuditEntry, Pupil


def run(*args):
    return CliRunner().invoke(build_cli(), list(args), obj=object())


def test_leave_by_upn_or_id(db, make_school, make_pupil, session):
    school = make_school()
    by_upn = make_pupil(school, first_name="Ava", last_name="Nowak", upn="K330400115007")
    by_id = make_pupil(school, first_name="Kai", last_name="Brown")
    session.commit()
    out = run("pupils", "leave", "--school", school.urn, "--pupil", "k330400115007",
              "--date", "2026-11-11", "--reason", "Moved house", "--destination-urn", "123456")
    assert out.exit_code == 0, out.output
    assert "Ava Nowak is off roll after 11 November 2026: destination URN 123456" in out.output
    out = run("pupils", "leave", "--school", school.urn, "--pupil", str(by_id.id),
              "--date", "2026-11-12", "--reason", "Not returned", "--destination-unknown")
    assert out.exit_code == 0, out.output
    with db.session(SYSTEM) as s:
        a, b = s.get(Pupil, by_upn.id), s.get(Pupil, by_id.id)
        assert (a.on_roll_to, a.destination_urn) == (dt.date(2026, 11, 11), "123456")
        assert (b.on_roll_to, b.destination_urn) == (dt.date(2026, 11, 12), None)
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "pupil.left",
                                                  AuditEntry.object_id == str(b.id)))
        assert entry.detail["destination_unknown"] is True


def test_leave_refuses_bad_input_naming_the_field(db, make_school, make_pupil, session):
    school = make_school()
    pupil = make_pupil(school)
    session.commit()
    base = ["pupils", "leave", "--school", school.urn, "--pupil", str(pupil.id),
            "--date", "2026-11-11", "--reason", "Moved"]
    out = run(*base)
    assert out.exit_code == 2 and "error: destination_urn: give the destination" in out.output
    out = run(*base, "--destination-urn", school.urn)
    assert out.exit_code == 2 and "this school's own URN" in out.output
    out = run(*base, "--destination-urn", "123456", "--destination-unknown")
    assert out.exit_code == 2 and "not both" in out.output
    out = run("pupils", "leave", "--school", "999999", "--pupil", str(pupil.id), "--date",
              "2026-11-11", "--reason", "Moved", "--destination-unknown")
    assert out.exit_code == 2 and "school: no school with URN 999999" in out.output
    out = run("pupils", "leave", "--school", school.urn, "--pupil", "Z999999999999",
              "--date", "2026-11-11", "--reason", "Moved", "--destination-unknown")
    assert out.exit_code == 2 and "pupil: no pupil Z999999999999" in out.output
    out = run(*base[:-4], "--date", "11/11/2026", "--reason", "Moved", "--destination-unknown")
    assert out.exit_code == 2 and "--date" in out.output
    with db.session(SYSTEM) as s:
        assert s.get(Pupil, pupil.id).on_roll_to is None
