"""The ``mat transition import-bundle`` command and the reminder job's fan-out."""
import datetime as dt
import json

from click.testing import CliRunner
from tests.transition.conftest import acting
from sqlalchemy import select

from core import pupils
from core.cli import cli
from core.models import JobRun, Pupil
from plugins.transition import jobs, service
from plugins.transition.cli import transition
from plugins.transition.models import Transfer


def _bundle_for(db, w, urn):
    with acting(db, w["dsl_s"]) as s:
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, w["pupil"].id, dt.date(2026, 11, 11),
                         "Moved", urn)
        tid = s.scalar(select(Transfer.id).where(Transfer.pupil_id == w["pupil"].id))
        service.prepare(s, w["dsl_s"], w["sender"].id, tid, covering_note="n")
        export = service.export_bundle(s, w["dsl_s"], w["sender"].id, tid)
    return export.bundle.data, export.passphrase


def test_import_bundle_command(db, world, make_school, make_user, tmp_path, monkeypatch):
    w = world
    # the destination is a school of another trust on this same platform instance
    dest = make_school(name="Harbour Academy")
    make_user("dsl", school=dest, email="dsl@harbour.example")
    make_user("staff", school=dest, email="staff@harbour.example")
    data, passphrase = _bundle_for(db, w, dest.urn)
    path = tmp_path / "file.matbundle"
    path.write_bytes(data)
    cli.add_command(transition)
    monkeypatch.setattr("core.runtime.start", lambda: (None, None))
    runner = CliRunner()

    out = runner.invoke(cli, ["transition", "import-bundle", str(path), "--user",
                              "dsl@harbour.example", "--passphrase", "WRONG"], obj=object())
    assert out.exit_code == 2 and "Wrong passphrase" in out.output
    out = runner.invoke(cli, ["transition", "import-bundle", str(path), "--user",
                              "staff@harbour.example", "--passphrase", passphrase], obj=object())
    assert out.exit_code == 2 and "not a DSL" in out.output
    receipt_path = tmp_path / "receipt.json"
    out = runner.invoke(cli, ["transition", "import-bundle", str(path), "--user",
                              "dsl@harbour.example", "--passphrase", passphrase,
                              "--receipt", str(receipt_path)], obj=object())
    assert out.exit_code == 0, out.output
    receipt = json.loads(receipt_path.read_text())
    assert receipt["destination_urn"] == dest.urn and receipt["sender_urn"] == w["sender"].urn
    with acting(db) as s:
        assert s.scalar(select(Pupil.last_name).where(Pupil.school_id == dest.id)) == "Okafor"


def test_reminder_job_runs_only_where_the_plugin_is_on(db, world, make_school, host):
    off = make_school(plugins=["registers"])
    ids = jobs.all_schools_reminders()
    with acting(db) as s:
        runs = {r.school_id: r for r in s.scalars(select(JobRun).where(JobRun.id.in_(ids)))}
    assert world["sender"].id in runs and world["receiver"].id in runs
    assert off.id not in runs
    assert runs[world["sender"].id].status == "done"
