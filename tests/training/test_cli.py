"""``mat training import`` and ``mat training reminders``."""
from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from sqlalchemy import func, select

from core.cli import build_cli
from core.db import SYSTEM
from core.models import MailMessage
from plugins.training.models import TrainingRecord


def run(*args):
    return CliRunner().invoke(build_cli(), list(args), obj=object())


def _records(db, school):
    with db.session(SYSTEM) as s:
        return s.scalar(select(func.count()).select_from(TrainingRecord).where(
            TrainingRecord.school_id == school.id))


def test_import_all_or_nothing_from_the_shell(db, session, make_school, make_person, tmp_path):
    school = make_school()
    make_person(school, "teacher", name="Asha Patel", email="asha@example.org")
    session.commit()
    bad = tmp_path / "bad.csv"
    bad.write_text("email,course,completed_on\nasha@example.org,prevent,2026-10-01\n"
                   "asha@example.org,prevent,01/13/2026\n")
    out = run("training", "import", "--school", school.urn, str(bad))
    assert out.exit_code == 2
    assert "line 3: completed_on: '01/13/2026' is not a date" in out.output
    assert "nothing imported: 1 problem(s)" in out.output
    assert _records(db, school) == 0
    good = tmp_path / "good.csv"
    good.write_text("email,course,completed_on\nasha@example.org,prevent,2026-10-01\n")
    out = run("training", "import", "--school", school.urn, str(good))
    assert out.exit_code == 0 and "imported 1, skipped 0" in out.output
    assert _records(db, school) == 1
    out = run("training", "import", "--school", "000000", str(good))
    assert out.exit_code == 2 and "school: no school with URN 000000" in out.output


def test_reminders_from_the_shell_once(db, session, make_school, make_person, make_user,
                                       courses, add_done):
    school = make_school()
    make_user("dsl", school=school, email="dsl.cli@example.org")
    p = make_person(school, "governor", email="gov.cli@example.org")
    # completed 11 months ago: due within 30 days whatever today is
    when = dt.date.today() - dt.timedelta(days=350)
    add_done(p, courses(school.trust_id)["annual_update"], when, today=dt.date.today())
    session.commit()
    out = run("training", "reminders", "--school", school.urn)
    assert out.exit_code == 0 and "2 reminder(s) queued" in out.output
    out = run("training", "reminders", "--school", school.urn)
    assert "0 reminder(s) queued" in out.output
    with db.session(SYSTEM) as s:
        assert sorted(s.scalars(select(MailMessage.to).where(
            MailMessage.dedupe_key.like(f"training:{school.id}:%")))) == [
            "dsl.cli@example.org", "gov.cli@example.org"]
