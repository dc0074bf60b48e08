"""What people do, through real processes: a concern recorded over the API, a police
notification whose email the worker delivers, a register file imported by the worker (over the
API and with ``mat attendance import``), and every plugin's recurring job fired by two
schedulers at once. Each test checks what the person saw (status, body, command output) and
what the database holds."""
from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest

from tests.deployed.actions import london_now, mail_rows, make_pupils, post_notification, \
    year_start
from tests.deployed.deployment import wait_until
from tests.deployed.registers import (LAYOUT, import_status, marks_stored, register_csv,
                                      school_days, upload)

pytestmark = pytest.mark.deployed


def test_concern_recorded_by_staff_is_stored_and_reaches_the_dsl(app):
    [pupil] = make_pupils(app, 1, on_roll_from=year_start(app))
    staff_email, staff = app.people["staff"]
    dsl = app.people["dsl"][1]
    fact = f"Came in without a coat again ({uuid.uuid4().hex[:8]})."
    occurred = (london_now() - dt.timedelta(hours=1)).replace(tzinfo=None).isoformat()

    made = app.api("POST", f"/api/v1/schools/{app.school_id}/concerns", staff,
                   {"pupil_ids": [pupil["id"]], "occurred_at": occurred, "fact": fact})

    assert made.status == 201, made
    body = made.json()
    assert (body["fact"], body["view"], body["status"]) == (fact, "own", None)
    listed = app.api("GET", f"/api/v1/schools/{app.school_id}/concerns?pupil_id={pupil['id']}",
                     dsl)
    assert listed.status == 200, listed
    assert [(c["id"], c["status"]) for c in listed.json()["items"]] == [
        (body["id"], "awaiting_triage")]
    assert app.sql("SELECT c.fact, c.school_id, u.email FROM concerns c JOIN users u "
                   "ON u.id = c.recorded_by_id WHERE c.id = %s", (body["id"],)) == [
        (fact, app.school_id, staff_email)]
    assert app.sql("SELECT pupil_id FROM concern_pupils WHERE concern_id = %s",
                   (body["id"],)) == [(pupil["id"],)]


def test_police_notification_email_is_delivered_by_the_worker(app, smtp_sink):
    dob = "2016-04-07"
    [pupil] = make_pupils(app, 1, on_roll_from=year_start(app), first_name="Amelia",
                          last_name="Hartley", date_of_birth=dob)
    dsl_email, dsl = app.people["dsl"]

    sent = post_notification(app, {"first_name": "Amelia", "last_name": "Hartley",
                                   "date_of_birth": dob}, f"DA/{uuid.uuid4().hex[:8]}")

    assert sent.status == 201, sent
    receipt = sent.json()
    assert (receipt["status"], receipt["urn"]) == ("created", app.urn)
    link = f"/schools/{app.school_id}/encompass/{receipt['id']}"
    wait_until(lambda: smtp_sink.matching(dsl_email, link), 60,
               "the DSL's email at the SMTP sink")
    [(_, sender_to, message)] = smtp_sink.matching(dsl_email, link)  # sent once
    assert message["Subject"] == "Operation Encompass notification: Alder Primary"
    assert message["From"] == "safeguarding@deployed.test"
    assert "Amelia" not in message.get_body().get_content()  # no details of the child
    [(_, sent_at, error)] = wait_until(
        lambda: [r for r in mail_rows(app, dsl_email, link) if r[1] is not None], 30,
        "mail_messages.sent_at to be set")
    assert error is None
    assert app.scalar("SELECT count(*) FROM job_runs WHERE func = 'core.mail:send_pending' "
                      "AND status = 'done'") >= 1
    # the notification opened a concern the DSL triages with everything else
    listed = app.api("GET", f"/api/v1/schools/{app.school_id}/concerns?pupil_id={pupil['id']}",
                     dsl).json()["items"]
    assert [(c["source"], c["status"]) for c in listed] == [("encompass", "awaiting_triage")]


def test_register_file_imported_through_the_api_runs_on_the_worker(app):
    pupils = make_pupils(app, 3, on_roll_from=year_start(app))
    ids = [p["id"] for p in pupils]
    days = school_days(app.terms, last=10)
    data, expected = register_csv(ids, days)
    dsl = app.people["dsl"][1]

    queued = upload(app, data)

    assert queued.status == 201, queued
    batch = queued.json()
    assert batch["status"] in ("queued", "running") and batch["job_id"], batch
    final = wait_until(lambda: (b := import_status(app, batch["id"]))["status"]
                       in ("done", "failed") and b, 60, "the import to finish")
    assert (final["status"], final["marks_imported"], final["error_count"]) == (
        "done", expected, 0), final
    assert (final["first_date"], final["last_date"]) == (days[0].isoformat(),
                                                         days[-1].isoformat())
    assert app.sql("SELECT status, attempts, error FROM job_runs WHERE id = %s",
                   (batch["job_id"],)) == [("done", 1, None)]
    assert marks_stored(app, ids) == expected
    read = app.api("GET", f"/api/v1/schools/{app.school_id}/attendance/pupils/{ids[0]}"
                          f"?start={days[0]}&end={days[-1]}", dsl)
    assert read.status == 200, read
    assert len(read.json()["marks"]) == 2 * len(days)
    # the signal analysis the import queued ran too
    wait_until(lambda: app.scalar(
        "SELECT status FROM job_runs WHERE func = 'plugins.attendance.jobs:analyse_school' "
        "AND school_id = %s AND args::text LIKE %s ORDER BY enqueued_at DESC LIMIT 1",
        (app.school_id, f"%{days[-1].isoformat()}%")) == "done", 60, "the analysis job")


def test_register_file_imported_with_mat_attendance_import_waits_for_the_worker(app):
    ids = [p["id"] for p in make_pupils(app, 2, on_roll_from=year_start(app))]
    days = school_days(app.terms, last=3)
    good, expected = register_csv(ids, days)
    bad = good + f"999999,{days[0].isoformat()},AM,/\n".encode()
    (app.tmp / "good.csv").write_bytes(good)
    (app.tmp / "bad.csv").write_bytes(bad)

    ok, refused = app.cli_many(*[("attendance", "import", app.school_id, f, "--layout",
                                  json.dumps(LAYOUT)) for f in ("good.csv", "bad.csv")],
                               check=False)

    assert ok.returncode == 0, ok.stderr
    assert f"imported {expected} marks ({days[0]} to {days[-1]})" in ok.stdout, ok.stdout
    assert refused.returncode == 1, (refused.stdout, refused.stderr)
    assert "nothing imported: 1 problems" in refused.stderr, refused.stderr
    problem = "Pupil: no pupil with pupil number '999999' at this school"
    assert f"line {len(good.splitlines()) + 1}, {problem}" in refused.stderr, refused.stderr
    assert marks_stored(app, ids) == expected
    assert sorted(app.sql(
        "SELECT b.filename, b.status, b.marks_imported, b.error_count, j.status "
        "FROM attendance_import_batches b JOIN job_runs j ON j.id = b.job_id "
        "WHERE b.filename IN ('good.csv', 'bad.csv')")) == [
        ("bad.csv", "failed", 0, 1, "done"), ("good.csv", "done", expected, 0, "done")]


def test_every_recurring_job_fires_once_per_school_and_tick_with_two_schedulers(app):
    from core.plugins import make_host

    every = 3
    declared = sorted(f"{j.plugin}:{j.name}"
                      for j in make_host().call_global("mat_recurring_jobs"))
    assert declared, "no plugin declares a recurring job"
    knob = {"MAT_RECURRING_EVERY_SECONDS": str(every)}
    app.stop("scheduler")  # the baseline scheduler keeps the real crons; these tick every 3 s
    since = app.scalar("SELECT now()")
    started = time.monotonic()
    try:
        app.start_scheduler("recurring-a", **knob)
        app.start_scheduler("recurring-b", **knob)

        def fired_and_done():
            done = {r for (r,) in app.sql(
                "SELECT DISTINCT recurring FROM job_runs WHERE school_id = %s AND "
                "enqueued_at >= %s AND status = 'done'", (app.school_id, since))}
            fired_and_done.missing = sorted(set(declared) - done)
            return done >= set(declared)
        try:
            wait_until(fired_and_done, 90, "every recurring job to run for Alder Primary")
        except AssertionError:
            raise AssertionError(f"never done: {fired_and_done.missing}; runs: " + repr(app.sql(
                "SELECT recurring, status, error FROM job_runs WHERE school_id = %s AND "
                "enqueued_at >= %s ORDER BY enqueued_at DESC LIMIT 12",
                (app.school_id, since)))) from None
        time.sleep(max(0.0, 5 * every - (time.monotonic() - started)))
    finally:
        app.stop("recurring-a")
        app.stop("recurring-b")
        until = app.scalar("SELECT now()")
        app.start_scheduler()
    wait_until(lambda: not app.sql(
        "SELECT id FROM job_runs WHERE recurring IS NOT NULL AND enqueued_at >= %s AND "
        "status IN ('queued', 'running')", (since,)), 60, "the recurring jobs to drain")

    rows = app.sql("SELECT recurring, school_id, status, attempts, id FROM job_runs "
                   "WHERE recurring IS NOT NULL AND enqueued_at >= %s", (since,))
    ticks = (until - since).total_seconds() / every
    per_job: dict = {}
    for recurring, school_id, status, attempts, job_id in rows:
        per_job.setdefault((recurring, school_id), []).append((status, attempts, job_id))
    assert {r for r, s in per_job if s == app.school_id} == set(declared)
    for key, runs in per_job.items():
        # two schedulers firing every tick would give about twice this many
        assert len(runs) <= ticks + 2, (key, len(runs), ticks, runs)
        assert all(status == "done" and attempts == 1 for status, attempts, _ in runs), runs
    print(f"recurring over {ticks:.1f} ticks of {every} s with two schedulers: "
          + ", ".join(f"{r} x{len(v)}" for (r, _), v in sorted(per_job.items())))
    schedule = {r["name"]: r for r in app.cli_json("jobs", "schedule", "--json",
                                                   extra_env=knob)}
    assert sorted(schedule) == declared
    for name, row in schedule.items():
        assert row["cron"] == f"every {every} s" and row["next_run"], row
        assert row["last_run"] and "done" in row["last_outcome"], row


def test_every_process_logs_in_as_the_non_superuser_login_role(app):
    """gunicorn, the worker and the scheduler hold their database connections as the login
    role ``mat db roles --print-sql`` made (``mat init`` migrated as the owner): no connection
    of theirs is a superuser, BYPASSRLS or the tables' owner."""
    from urllib.parse import urlsplit

    login, owner = urlsplit(app.login_url).username, urlsplit(app.owner_url).username
    dsl = app.people["dsl"][1]
    assert app.api("GET", "/api/v1/schools", dsl).status == 200  # the web holds a connection

    def sessions():
        rows = app.sql("SELECT usename, count(*) FROM pg_stat_activity WHERE datname = "
                       "current_database() AND pid <> pg_backend_pid() AND backend_type = "
                       "'client backend' GROUP BY usename")
        return dict(rows) if sum(n for _, n in rows) >= 3 else None

    held = wait_until(sessions, 30, "connections from the web, the worker and the scheduler")
    assert set(held) == {login}, held
    assert app.sql("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s",
                   (login,)) == [(False, False)]
    assert app.scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                      "c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' AND "
                      "pg_get_userbyid(c.relowner) <> %s", (owner,)) == 0
