"""Recurring jobs reach RQ's cron scheduler, and the real `mat` command works end to end."""
from __future__ import annotations

import os
import subprocess
import sys

from redis import Redis

from core import hookimpl, jobs
from core.contributions import PluginInfo, RecurringJob
from core.plugins import make_host, use_host
from core.scheduler import build_scheduler, run_recurring

SEEN: list[int] = []


def nightly(school_id: int) -> dict:
    SEEN.append(school_id)
    return {"school": school_id}


class Nightly:
    @hookimpl
    def mat_plugin_info(self):
        return PluginInfo("nightly", "Nightly", "test")

    @hookimpl
    def mat_recurring_jobs(self):
        return [RecurringJob("nightly", "analyse", nightly, cron="30 1 * * *")]


def test_recurring_jobs_are_registered_with_stable_names(db):
    use_host(make_host(load_entry_points=False, extra=[("nightly", Nightly())]))
    try:
        scheduler = build_scheduler(Redis.from_url("redis://127.0.0.1:6379/0"))
        [job] = [j for j in scheduler.get_jobs() if j.name.startswith("nightly:")]
        assert (job.name, job.cron) == ("nightly:analyse", "30 1 * * *")
        assert job.args[:2] == ("nightly", f"{__name__}:nightly")
    finally:
        use_host(None)


def test_recurring_job_runs_once_per_school_with_the_plugin_on(db, session, make_school):
    host = make_host(load_entry_points=False, extra=[("nightly", Nightly())])
    use_host(host)
    try:
        on1, on2 = make_school(plugins=["nightly"]), make_school(plugins=["nightly"])
        make_school(plugins=[])
        session.commit()
        jobs.configure(None)
        SEEN.clear()
        ids = run_recurring("nightly", f"{__name__}:nightly")
        assert sorted(SEEN) == sorted([on1.id, on2.id]) and len(ids) == 2
        run_recurring("nightly", f"{__name__}:nightly")  # same day again: ids are stable
        assert {jobs.job_status(i).status for i in ids} == {"done"}
    finally:
        use_host(None)


def test_mat_init_demo_and_audit_verify_from_the_shell(tmp_path):
    env = dict(os.environ, MAT_INSTANCE_PATH=str(tmp_path))
    env.pop("MAT_DATABASE_URL", None)
    env.pop("MAT_REDIS_URL", None)
    mat = [sys.executable, "-c", "from web.cli import main; main()"]
    init = subprocess.run(mat + ["init"], env=env, capture_output=True, text=True, timeout=300)
    assert init.returncode == 0, init.stderr[-3000:]
    assert "database is up to date" in init.stdout
    demo = subprocess.run(mat + ["demo", "--no-serve", "--pupils", "15"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "lead@demo.invalid" in demo.stdout and "dsl.riverside@demo.invalid" in demo.stdout
    again = subprocess.run(mat + ["demo", "--no-serve"], env=env, capture_output=True,
                           text=True, timeout=300)
    assert "reusing it" in again.stdout
    verify = subprocess.run(mat + ["audit", "verify"], env=env, capture_output=True, text=True,
                            timeout=300)
    assert verify.returncode == 0 and "audit chain intact" in verify.stdout
    assert (tmp_path / "mat.sqlite3").exists()
