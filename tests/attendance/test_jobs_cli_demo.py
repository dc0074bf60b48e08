"""The import job's progress, the nightly analysis across schools, the CLI and demo data."""
import datetime as dt

from click.testing import CliRunner
from tests.attendance.conftest import weekdays
from sqlalchemy import func, select

from core import jobs as core_jobs
from core.calendar import TermSpan, london_today
from core.models import JobRun
from core.plugins import current_host
from core.schools import set_terms
from plugins.attendance import jobs, service
from plugins.attendance.cli import attendance
from plugins.attendance.demo import seed_demo
from plugins.attendance.models import AttendanceWeek, ImportBatch, Signal

D = dt.date
MON = D(2025, 9, 8)


def test_import_job_records_progress(session, make_school, make_pupil, upn, tmp_path):
    school = make_school()
    p = make_pupil(school, upn=upn())
    path = tmp_path / "m.csv"
    path.write_text("UPN,Date,Session,Mark\n" + "".join(
        f"{p.upn},{d.isoformat()},{s},N\n" for d in weekdays(MON, 3) for s in ("AM", "PM")))
    batch = service.create_batch(session, None, school.id, "csv", str(path), "m.csv")
    session.commit()
    job_id = core_jobs.enqueue(jobs.import_batch, batch.id, school_id=school.id,
                               plugin="attendance")
    run = session.get(JobRun, job_id)
    session.refresh(run)
    size = path.stat().st_size
    assert run.status == "done" and (run.progress_done, run.progress_total) == (size, size)
    assert run.result == {"status": "done", "marks": 6, "errors": 0}


def test_nightly_analysis_runs_only_where_the_plugin_is_on(session, host, make_trust,
                                                           make_school, make_pupil, days):
    trust = make_trust()
    on = make_school(trust=trust)
    off = make_school(trust=trust)
    for school in (on, off):
        days(school, make_pupil(school), weekdays(MON, 10), "N")
    host.set_enabled(session, off.id, "attendance", False)
    session.commit()
    recurring = [j for j in current_host().call_global("mat_recurring_jobs")
                 if j.plugin == "attendance"]
    assert [j.func for j in recurring] == [jobs.nightly_analysis]
    core_jobs.for_each_school_with("attendance", jobs.nightly_analysis)
    by_school = dict(session.execute(select(Signal.school_id, func.count()).where(
        Signal.school_id.in_([on.id, off.id])).group_by(Signal.school_id)).all())
    assert by_school == {on.id: 1}


def test_cli_import_with_progress_and_errors(session, make_school, make_pupil, upn, tmp_path):
    school = make_school()
    p = make_pupil(school, upn=upn())
    good = tmp_path / "good.csv"
    good.write_text(f"UPN,Date,Session,Mark\n{p.upn},2025-09-08,AM,/\n")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"UPN,Date,Session,Mark\n{p.upn},2025-09-08,AM,/\n{p.upn},2025-09-08,AM,/\n")
    runner = CliRunner()
    r = runner.invoke(attendance, ["import", str(school.id), str(good)])
    assert r.exit_code == 0, r.output
    assert "imported 1 marks (2025-09-08 to 2025-09-08)" in r.output
    r = runner.invoke(attendance, ["import", str(school.id), str(bad)])
    assert r.exit_code == 1
    assert "line 3, row: repeats the mark for the same pupil, date and session given on line 2" \
        in r.output
    assert session.scalar(select(func.count()).select_from(ImportBatch).where(
        ImportBatch.school_id == school.id, ImportBatch.status == "failed")) == 1


def test_demo_data_marks_every_pupil_and_finds_the_planted_patterns(session, make_school,
                                                                     make_pupil):
    today = london_today()
    school = make_school(terms=False)
    set_terms(session, school.id, [TermSpan("Demo term", today - dt.timedelta(weeks=8),
                                            today + dt.timedelta(weeks=2))])
    pupils = [make_pupil(school, on_roll_from=today - dt.timedelta(weeks=10)) for _ in range(3)]
    seed_demo(session, school.trust_id, [school.id], seed=7)
    marked = set(session.scalars(select(AttendanceWeek.pupil_id).where(
        AttendanceWeek.school_id == school.id)))
    assert marked == {p.id for p in pupils}
    kinds = {(s.pupil_id, s.kind) for s in session.scalars(select(Signal).where(
        Signal.school_id == school.id))}
    assert (pupils[1].id, "cme_la") in kinds  # the second pupil's planted run of N


def test_cli_command_is_added_through_the_hook(host):
    import click

    group = click.Group("mat")
    host.call_global("mat_cli_commands", cli=group)
    assert "import" in group.commands["attendance"].commands
