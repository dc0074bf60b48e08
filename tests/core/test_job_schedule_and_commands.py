"""Recurring ticks (once per school per tick, however many schedulers), the schedule people
read, the timing settings, and ``mat jobs list / schedule / retry``."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st
from sqlalchemy import select

from core import hookimpl, jobs, scheduler
from core.calendar import LONDON
from core.cli import build_cli
from core.contributions import PluginInfo, RecurringJob
from core.db import utcnow
from core.models import JobRun
from core.plugins import make_host, use_host

RUNS: list[int] = []
UTC = dt.timezone.utc


def tally(school_id: int) -> dict:
    RUNS.append(school_id)
    return {"school": school_id}


def always_fails(school_id: int) -> dict:
    raise RuntimeError(f"school {school_id} fails on purpose")


class Tally:
    @hookimpl
    def mat_plugin_info(self):
        return PluginInfo("tally", "Tally", "test")

    @hookimpl
    def mat_recurring_jobs(self):
        return [RecurringJob("tally", "count", tally, cron="*/15 * * * *")]


@pytest.fixture
def tally_host():
    host = make_host(load_entry_points=False, extra=[("tally", Tally())])
    use_host(host)
    yield host
    use_host(None)


def run(*args):
    return CliRunner().invoke(build_cli(), list(args), obj=object())


def test_cron_ticks_are_read_in_london_time():
    # 01:30 London in summer is 00:30 UTC; enqueued a little after the moment it fired
    summer = dt.datetime(2026, 7, 1, 0, 30, 2, tzinfo=UTC)
    assert scheduler.tick_of("30 1 * * *", None, summer) == dt.datetime(2026, 7, 1, 0, 30,
                                                                         tzinfo=UTC)
    winter = dt.datetime(2026, 12, 1, 1, 30, 0, tzinfo=UTC)  # exactly on time
    assert scheduler.tick_of("30 1 * * *", None, winter) == winter
    assert scheduler.next_run("30 1 * * *", None, winter) == winter + dt.timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2028, 12, 31),
                    timezones=st.just(UTC)),
       st.sampled_from(["*/15 * * * *", "30 1 * * *", "15 7 * * 1-5", "0 */6 * * *"]))
def test_a_tick_is_the_latest_cron_moment_not_after_the_enqueue(moment, cron):
    tick = scheduler.tick_of(cron, None, moment)
    assert tick <= moment.replace(microsecond=0) + dt.timedelta(seconds=1)
    assert scheduler.next_run(cron, None, tick) > moment - dt.timedelta(seconds=1)
    # every enqueue moment between a tick and the next gives that same tick
    later = min(scheduler.next_run(cron, None, tick) - dt.timedelta(seconds=2),
                tick + dt.timedelta(minutes=7))
    if later > tick:
        assert scheduler.tick_of(cron, None, later) == tick


@given(st.integers(min_value=1, max_value=3600),
       st.integers(min_value=1_700_000_000, max_value=1_900_000_000))
def test_interval_ticks_are_slots(every, ts):
    moment = dt.datetime.fromtimestamp(ts, UTC)
    tick = scheduler.tick_of(None, every, moment)
    assert tick <= moment < tick + dt.timedelta(seconds=every)
    assert int(tick.timestamp()) % every == 0


def test_two_schedulers_firing_one_tick_record_each_school_once(db, session, make_school,
                                                                 tally_host, monkeypatch):
    on1, on2 = make_school(plugins=["tally"]), make_school(plugins=["tally"])
    make_school(plugins=[])
    session.commit()
    jobs.configure(None)
    RUNS.clear()
    fired = dt.datetime(2026, 12, 2, 9, 15, 0, 300000, tzinfo=UTC)
    path = f"{__name__}:tally"
    for moment in (fired, fired + dt.timedelta(seconds=3)):  # two schedulers, same tick
        monkeypatch.setattr(scheduler, "_enqueued_at", lambda m=moment: m)
        scheduler.run_recurring("tally", path, {}, "tally:count", "*/15 * * * *")
    assert sorted(RUNS) == sorted([on1.id, on2.id])  # once each
    monkeypatch.setattr(scheduler, "_enqueued_at", lambda: fired + dt.timedelta(minutes=15))
    scheduler.run_recurring("tally", path, {}, "tally:count", "*/15 * * * *")  # the next tick
    assert sorted(RUNS) == sorted([on1.id, on2.id] * 2)
    rows = list(session.scalars(select(JobRun).where(JobRun.recurring == "tally:count")))
    assert len(rows) == 4 and {r.status for r in rows} == {"done"}


def test_schedule_shows_last_run_outcome_and_next_run(db, session, make_school, tally_host,
                                                      monkeypatch):
    make_school(plugins=["tally"])
    session.commit()
    jobs.configure(None)
    before = {r["name"]: r for r in scheduler.schedule()}["tally:count"]
    assert before["last_run"] is None and before["cron"] == "*/15 * * * *"
    monkeypatch.setattr(scheduler, "_enqueued_at", utcnow)
    scheduler.run_recurring("tally", f"{__name__}:tally", {}, "tally:count", "*/15 * * * *")
    out = run("jobs", "schedule", "--json")
    assert out.exit_code == 0, out.output
    row = {r["name"]: r for r in json.loads(out.output)}["tally:count"]
    assert row["last_run"] is not None and row["last_outcome"] == "1 done"
    nxt = dt.datetime.fromisoformat(row["next_run"])
    assert utcnow() < nxt <= utcnow() + dt.timedelta(minutes=15)
    assert nxt.astimezone(LONDON).minute % 15 == 0


def test_jobs_list_and_retry_from_the_command_line(db, session, make_school, tally_host):
    school = make_school(plugins=["tally"])
    session.commit()
    jobs.configure(None)
    failed = jobs.enqueue(always_fails, school.id, school_id=school.id, plugin="tally")
    RUNS.clear()
    ok = jobs.enqueue(tally, school.id, school_id=school.id, plugin="tally")
    out = run("jobs", "list", "--status", "failed", "--school", school.urn, "--json")
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [r["id"] for r in rows] == [failed]
    assert rows[0]["school_urn"] == school.urn and "fails on purpose" in rows[0]["error"]
    assert run("jobs", "list", "--school", "000000").exit_code == 2
    again = run("jobs", "retry", ok)  # done: nothing to retry
    assert again.exit_code == 1 and "nothing to retry" in again.output
    retried = run("jobs", "retry", failed)
    assert retried.exit_code == 0 and "retried: now failed" in retried.output  # fails again
    assert session.get(JobRun, failed).attempts == 2
    assert run("jobs", "retry", "no-such-job").exit_code == 2


def test_timings_from_the_environment_name_the_bad_variable():
    t = jobs.Timings.from_env({"MAT_JOB_BACKOFF_SECONDS": "1, 2", "MAT_JOB_HEARTBEAT_SECONDS":
                               "3", "MAT_RECURRING_EVERY_SECONDS": "5"})
    assert (t.backoff_seconds, t.max_attempts, t.heartbeat_seconds, t.recurring_every_seconds,
            t.stale_after) == ((1, 2), 3, 3, 5, dt.timedelta(seconds=12))
    assert jobs.Timings.from_env({}) == jobs.Timings()
    for name, value in (("MAT_JOB_BACKOFF_SECONDS", "ten"), ("MAT_RECONCILE_SECONDS", "0"),
                        ("MAT_JOB_HEARTBEAT_SECONDS", "-3")):
        with pytest.raises(RuntimeError, match=name):
            jobs.Timings.from_env({name: value})


def test_the_scheduler_records_a_due_tick_itself_and_keeps_it_due_while_it_cannot(
        db, session, make_school, tally_host, monkeypatch):
    """The tick's school jobs are recorded in the database by the scheduler before the tick
    counts as done: a database that is away leaves it due, not lost."""
    from redis import Redis

    school = make_school(plugins=["tally"])
    session.commit()
    jobs.configure(None)
    RUNS.clear()
    sched = scheduler.build_scheduler(Redis.from_url("redis://127.0.0.1:1/0"))  # never used
    [cron_job] = [j for j in sched.get_jobs() if j.name.startswith("tally:")]
    due = dt.datetime(2025, 12, 2, 9, 15, tzinfo=UTC)  # a tick in the past: due now
    cron_job.next_enqueue_time = due
    real = scheduler.run_recurring

    def database_away(*a, **k):
        from sqlalchemy.exc import OperationalError

        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(scheduler, "run_recurring", database_away)
    cron_job.func = database_away
    assert sched.enqueue_jobs() == [] and cron_job.next_enqueue_time == due  # still due
    cron_job.func = real
    monkeypatch.setattr(scheduler, "run_recurring", real)
    assert sched.enqueue_jobs() == [cron_job] and RUNS == [school.id]
    [row] = session.scalars(select(JobRun).where(JobRun.recurring == "tally:count")).all()
    assert row.id.endswith("20251202T091500") and row.status == "done"
    assert cron_job.next_enqueue_time > utcnow()  # the next tick, not this one again
