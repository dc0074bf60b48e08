"""``mat pupils import``: preview, commit, problems named by line, and a plugin's MIS source
through ``mat_mis_sources`` imported exactly as a file is."""
from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from core import hookimpl
from core.cli import build_cli
from core.db import SYSTEM
from core.mis import samples
from core.mis.rows import RawRow
from core.mis.sources import MisSource
from core.models import Pupil, PupilCarer
from core.plugins import PluginHost, use_host


def run(*args):
    return CliRunner().invoke(build_cli(), list(args), obj=object())


def pupils_of(db, school) -> int:
    with db.session(SYSTEM) as s:
        return s.scalar(select(func.count()).select_from(Pupil).where(
            Pupil.school_id == school.id))


def test_dry_run_then_import_then_nothing_to_do(db, make_school, session, tmp_path):
    school = make_school()
    session.commit()
    rows = samples.pupils_for(3, seed=21)
    path = tmp_path / "roll.xml"
    path.write_bytes(samples.ctf_bytes(rows, school.urn))
    out = run("pupils", "import", "--school", school.urn, str(path), "--dry-run")
    assert out.exit_code == 0, out.output
    assert "3 rows: 3 to add, 0 to change" in out.output and "nothing was stored" in out.output
    assert pupils_of(db, school) == 0
    out = run("pupils", "import", "--school", school.urn, str(path))
    assert out.exit_code == 0, out.output
    assert "imported: 3 added" in out.output and pupils_of(db, school) == 3
    out = run("pupils", "import", "--school", school.urn, str(path))
    assert "0 to add, 0 to change, 3 unchanged" in out.output
    assert "imported: 0 added, 0 changed" in out.output


def test_a_bad_csv_is_refused_naming_line_and_column(db, make_school, session, tmp_path):
    school = make_school()
    session.commit()
    rows = samples.pupils_for(2, seed=22)
    rows[1]["year_group"] = 15
    path = tmp_path / "roll.csv"
    path.write_bytes(samples.csv_bytes(rows))
    out = run("pupils", "import", "--school", school.urn, str(path), "--format", "csv")
    assert out.exit_code == 2
    assert "error: line 3, Year group: '15' is not N1, N2, R or 1 to 14" in out.output
    assert pupils_of(db, school) == 0
    out = run("pupils", "import", "--school", school.urn, str(path), "--layout", "SIMS")
    assert out.exit_code == 2 and "error: layout: this school has no layout called 'SIMS'" in out.output
    out = run("pupils", "import", "--school", "999999", str(path))
    assert out.exit_code == 2 and "no school with URN 999999" in out.output


class Aggregator:
    """A throwaway plugin offering an MIS source."""

    def __init__(self, rows):
        self.rows = rows

    @hookimpl
    def mat_mis_sources(self, session, school_id):
        return [MisSource("aggregator", "aggregator", "Test aggregator", self.fetch)]

    def fetch(self, session, school_id):
        for n, p in enumerate(self.rows, start=1):
            yield RawRow(f"record {n}", {
                "upn": p["upn"], "mis_id": p["mis_id"], "first_name": p["first_name"],
                "last_name": p["last_name"], "date_of_birth": p["date_of_birth"].isoformat(),
                "year_group": str(p["year_group"])},
                carers=[{"last_name": p["last_name"], "parental_responsibility": "yes"}])


def test_a_plugin_source_imports_like_a_file(db, make_school, session, host):
    rows = samples.pupils_for(2, seed=23)
    plugin = Aggregator(rows)
    host.pm.register(plugin, name="aggregator")
    use_host(PluginHost(host.pm))  # the host reads the plugins it knows when built
    try:
        school = make_school(plugins=["aggregator"])
        session.commit()
        out = run("pupils", "import", "--school", school.urn, "--source", "aggregator")
        assert out.exit_code == 0, out.output
        assert "imported: 2 added" in out.output
        with db.session(SYSTEM) as s:
            assert s.scalar(select(func.count()).select_from(PupilCarer).where(
                PupilCarer.school_id == school.id, PupilCarer.parental_responsibility)) == 2
        rows[0]["date_of_birth"] = rows[0]["date_of_birth"].replace(year=1890)
        out = run("pupils", "import", "--school", school.urn, "--source", "aggregator")
        assert out.exit_code == 2 and "error: record 1, date_of_birth:" in out.output
        out = run("pupils", "import", "--school", school.urn, "--source", "nothing")
        assert out.exit_code == 2 and "no MIS source called 'nothing'" in out.output
    finally:
        host.pm.unregister(plugin)
        use_host(host)
