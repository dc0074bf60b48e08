"""``python -m benchmarks trust --size tiny|medium|full``: the trust safeguarding lead's
overview at trust scale, against bare SQL of the same figures in the same run.

A scratch PostgreSQL database gets a trust of ``schools`` schools (three years of terms, every
plugin on) and ``pupils`` pupils each, then, through the real paths: a year of register marks
per school as a CSV import (``run_batch``, as an upload runs), concerns recorded by staff
with the DSL's entries (``record_concern`` / ``add_entry``), and the Operation Encompass,
training and transition records of those plugins' demo data (their services). Measured with
one year of marks stored, then again once the year before is imported too:

- the overview API (``GET /api/v1/trust/overview``, default period: this school year to
  today) and the overview page, in process through Flask's test client (no network), in
  rounds interleaved with the bare SQL: the core's and attendance's figures hand-written as
  plain SQL on a raw connection (the statements a person would write for these tables),
  whose answers are checked against the API's;
- a DSL's school dashboard and a pupil's chronology of 200 entries (the API);
- the SQL statements one overview request sends.

``ratio`` is overview p95 / bare SQL p95. Results go to ``results/trust_<size>.json``.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, select, text

from core import accounts, concerns, schools
from core.calendar import LONDON, academic_year_start, calendar_for, england_terms, london_today
from core.db import SYSTEM
from core.models import ConcernCategory, Pupil
from core.plugins import current_host
from core.policy import actor_for
from core.upn import make_upn

from .data import write_long_csv
from .scratch import scratch_database

SIZES = {"tiny": {"schools": 3, "pupils": 100, "concerns": 60, "days": 40, "requests": 5},
         "medium": {"schools": 50, "pupils": 100, "concerns": 2000, "days": 365,
                    "requests": 30},
         "full": {"schools": 50, "pupils": 1000, "concerns": 10000, "days": 365,
                  "requests": 40}}
RESULTS = Path(__file__).parent / "results"
CHRONOLOGY_CONCERNS = 100  # a triage entry each: 200 entries in the pupil's chronology


def pct(values: list[float], p: float) -> float:
    ms = sorted(values)
    return round(ms[min(len(ms) - 1, int(len(ms) * p))] * 1000, 1) if ms else 0.0


# --- building the trust -------------------------------------------------------------------

def build_trust(db, cfg: dict, year: int) -> dict:
    """Schools, people, pupils; returns ids and the lead's token."""
    host = current_host()
    out: dict = {"schools": [], "upns": {}, "dsl": {}, "staff": {}}
    with db.transaction(SYSTEM) as s:
        trust = schools.create_trust(s, "Benchmark Trust")
        out["trust"] = trust.id
        lead = accounts.create_user(s, "lead@bench.example", "Lead", "bench-password-1")
        accounts.grant_role(s, lead.id, "trust_lead", trust_id=trust.id)
        out["lead"], out["token"] = lead.id, accounts.create_token(s, lead.id, "bench")
        for i in range(cfg["schools"]):
            sc = schools.create_school(s, trust.id, f"{990000 + i:06d}", f"Academy {i:02d}")
            schools.set_terms(s, sc.id, england_terms(year - 2) + england_terms(year - 1)
                              + england_terms(year))
            for name in host.names:
                host.set_enabled(s, sc.id, name, True)
            for role in ("dsl", "staff"):
                u = accounts.create_user(s, f"{role}{i}@bench.example", f"{role} {i}",
                                         "bench-password-1")
                accounts.grant_role(s, u.id, role, school_id=sc.id)
                out[role][sc.id] = u.id
            upns = [make_upn("823", f"{4000 + i:04d}", 10 + k // 1000, k % 1000)
                    for k in range(cfg["pupils"])]
            s.execute(Pupil.__table__.insert(), [
                {"school_id": sc.id, "trust_id": trust.id, "upn": u, "first_name": f"P{k}",
                 "last_name": "Bench", "date_of_birth": dt.date(2014, 1, 1), "gender": "U",
                 "year_group": 3 + k % 9, "on_roll_from": dt.date(year - 2, 9, 1)}
                for k, u in enumerate(upns)])
            out["schools"].append(sc.id)
            out["upns"][sc.id] = upns
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE pupils")
        conn.commit()
    return out


def import_marks(db, trust: dict, start: dt.date, end: dt.date, tmp: Path, seed: int) -> int:
    """A CSV of every pupil's sessions from ``start`` to ``end`` per school, imported as an
    upload is (one batch each)."""
    from plugins.attendance.service import create_batch, run_batch

    total = 0
    for sid in trust["schools"]:
        with db.transaction(SYSTEM) as s:
            cal = calendar_for(s, sid)
        path = tmp / f"marks_{sid}_{seed}.csv"
        total += write_long_csv(path, trust["upns"][sid], cal, start, end, seed=seed + sid)
        with db.transaction(SYSTEM) as s:
            batch = create_batch(s, None, sid, "csv", str(path), path.name).id
        result = run_batch(batch)
        if result.get("status") != "done":
            raise RuntimeError(f"import of school {sid} failed: {result}")
        path.unlink()
    return total


def record_concerns(db, trust: dict, n: int, today: dt.date, seed: int) -> dict:
    """``n`` concerns spread over the schools and the past year, recorded by staff; most
    triaged by the DSL, some with actions (a few overdue), referrals or closures. The first
    school's first pupil gets ``CHRONOLOGY_CONCERNS`` of them, triaged."""
    rng = random.Random(seed)
    made = entries = 0
    with db.transaction(SYSTEM) as s:
        cats = list(s.scalars(select(ConcernCategory.id).where(
            ConcernCategory.trust_id == trust["trust"])))
        pupils = {sid: list(s.scalars(select(Pupil.id).where(Pupil.school_id == sid)))
                  for sid in trust["schools"]}
    first = trust["schools"][0]
    plan = [(first, pupils[first][0], True)] * CHRONOLOGY_CONCERNS
    plan += [(sid, rng.choice(pupils[sid]), False)
             for k in range(max(0, n - CHRONOLOGY_CONCERNS))
             for sid in [trust["schools"][k % len(trust["schools"])]]]
    for chunk in range(0, len(plan), 500):
        with db.transaction(SYSTEM) as s:
            for sid, pid, triage in plan[chunk:chunk + 500]:
                staff = actor_for(s, trust["staff"][sid], mfa=False)
                dsl = actor_for(s, trust["dsl"][sid], mfa=True)
                when = dt.datetime.combine(today - dt.timedelta(days=rng.randrange(2, 360)),
                                           dt.time(rng.randrange(8, 16)), LONDON)
                c = concerns.record_concern(
                    s, staff, sid, occurred_at=when, pupil_ids=[pid],
                    fact="Came in hungry and withdrawn again.", category_ids=[rng.choice(cats)],
                    recorded_at=when + dt.timedelta(minutes=30))
                made += 1
                if not triage and rng.random() > 0.75:
                    continue
                t0 = when + dt.timedelta(hours=rng.randrange(1, 30))
                concerns.add_entry(s, dsl, sid, c.id, "triage", risk_level="low", created_at=t0)
                entries += 1
                roll = rng.random()
                if triage:
                    continue
                if roll < 0.3:
                    concerns.add_entry(s, dsl, sid, c.id, "action", body="Call home.",
                                       due_date=(t0 + dt.timedelta(days=rng.randrange(3, 40))).date(),
                                       created_at=t0 + dt.timedelta(minutes=5))
                    entries += 1
                elif roll < 0.7:
                    concerns.add_entry(s, dsl, sid, c.id, "closure", body="No further concern.",
                                       created_at=t0 + dt.timedelta(days=2))
                    entries += 1
    return {"concerns": made, "entries": entries, "chronology_pupil": pupils[first][0]}


def plugin_records(db, trust: dict, seed: int) -> None:
    """Operation Encompass, training and transition records through those plugins' own
    demo seeding (their services), for every school."""
    host = current_host()
    keep = [host.pm.get_plugin(n) for n in ("encompass", "training", "transition")]
    hook = host.pm.subset_hook_caller("mat_demo_data", remove_plugins=[
        p for p in host.pm.get_plugins() if p not in keep])
    with db.transaction(SYSTEM) as s:
        hook(session=s, trust_id=trust["trust"], school_ids=trust["schools"], seed=seed)


def analyse(db) -> None:
    """Statistics and visibility as autovacuum keeps them on a live database."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")


# --- bare SQL of the same figures -----------------------------------------------------------

def bare_sql(ids: list[int], start: dt.date, end: dt.date, today: dt.date) -> list[str]:
    """The core's and attendance's figures as plain SQL for these schools and this period:
    what a person would write against these tables (term totals, week rows, and the marks of
    the part-weeks at the edges)."""
    from plugins.attendance.codes import AEA, AUTHORISED, PRESENT, UNAUTHORISED, codes
    from plugins.attendance.totals import _outside, _pieces

    school_list = ", ".join(str(i) for i in ids)
    lo = dt.datetime.combine(start, dt.time.min, LONDON).isoformat()
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, LONDON).isoformat()
    core = [
        f"SELECT school_id, count(*) FROM pupils WHERE school_id IN ({school_list}) "
        f"AND on_roll_from <= '{end}' AND (on_roll_to IS NULL OR on_roll_to >= '{start}') "
        f"GROUP BY school_id",
        f"SELECT school_id, count(*) FROM concerns WHERE school_id IN ({school_list}) "
        f"AND recorded_at >= '{lo}' AND recorded_at < '{hi}' GROUP BY school_id",
        f"SELECT c.school_id, sum(CASE WHEN t.kind = 'closure' OR w.worked THEN 0 ELSE 1 END), "
        f"sum(CASE WHEN t.kind = 'closure' THEN 0 ELSE 1 END) FROM concerns c "
        f"LEFT JOIN LATERAL (SELECT kind FROM concern_entries e WHERE e.concern_id = c.id "
        f"AND e.kind IN ('closure', 'reopened') ORDER BY e.created_at DESC, e.id DESC LIMIT 1) t "
        f"ON true CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM concern_entries e "
        f"WHERE e.concern_id = c.id AND e.kind NOT IN ('amendment', 'note')) AS worked) w "
        f"WHERE c.school_id IN ({school_list}) GROUP BY c.school_id",
        f"SELECT e.school_id, count(*) FROM concern_entries e WHERE e.school_id IN "
        f"({school_list}) AND e.kind = 'action' AND e.due_date < '{today}' AND NOT EXISTS "
        f"(SELECT 1 FROM concern_entries d WHERE d.kind = 'action_done' "
        f"AND d.refers_to_id = e.id) GROUP BY e.school_id",
    ]
    spans = [(a, b) for a, b in _terms_inside(ids[0], start, end)]
    whole, parts = _pieces(_outside(start, end, spans))

    def quoted(*cats):
        return ", ".join(f"'{c.code.ljust(2)}'" for c in codes().values() if c.category in cats)

    kinds = (quoted(PRESENT, AEA, AUTHORISED, UNAUTHORISED), quoted(PRESENT, AEA),
             quoted(AUTHORISED, UNAUTHORISED))
    # the stored span totals of every span inside the period, or starting in it and running
    # past its end with no mark after the end (the term to date): the tables the app keeps
    branches = [f"SELECT c.school_id AS school_id, c.pupil_id AS pupil_id, c.possible AS poss, "
                f"c.present + c.aea AS att, c.authorised + c.unauthorised AS abs "
                f"FROM attendance_term_counts c JOIN attendance_terms t ON t.school_id = "
                f"c.school_id AND t.term_start = c.term_start WHERE c.school_id IN "
                f"({school_list}) AND t.term_start >= '{start}' AND t.term_start <= '{end}' "
                f"AND (t.term_end <= '{end}' OR t.last_marked IS NULL "
                f"OR t.last_marked <= '{end}')"]
    if whole:
        weeks = " OR ".join(f"week_start BETWEEN '{a}' AND '{b}'" for a, b in whole)
        branches.append(f"SELECT school_id, pupil_id, possible, present + aea, "
                        f"authorised + unauthorised FROM attendance_weeks WHERE school_id IN "
                        f"({school_list}) AND ({weeks})")
    for a, b in parts:
        monday = a - dt.timedelta(days=a.weekday())
        sums = []
        for wanted in kinds:
            terms = []
            day = a
            while day <= b:
                k = 2 * (day - monday).days
                terms.append(f"CASE WHEN p.on_roll_from <= '{day}' AND (p.on_roll_to IS NULL "
                             f"OR p.on_roll_to >= '{day}') THEN (CASE WHEN substr(w.marks, "
                             f"{2 * k + 1}, 2) IN ({wanted}) THEN 1 ELSE 0 END) + (CASE WHEN "
                             f"substr(w.marks, {2 * k + 3}, 2) IN ({wanted}) THEN 1 ELSE 0 END) "
                             f"ELSE 0 END")
                day += dt.timedelta(days=1)
            sums.append(" + ".join(terms))
        branches.append(f"SELECT w.school_id, w.pupil_id, {', '.join(sums)} FROM "
                        f"attendance_weeks w JOIN pupils p ON p.id = w.pupil_id WHERE "
                        f"w.school_id IN ({school_list}) AND w.week_start = '{monday}'")
    attendance = (
        "SELECT sid, count(*), sum(p), sum(a), sum(CASE WHEN x * 10 >= p THEN 1 ELSE 0 END), "
        "sum(CASE WHEN x * 2 >= p THEN 1 ELSE 0 END) FROM (SELECT school_id AS sid, "
        "sum(poss) AS p, sum(att) AS a, sum(abs) AS x FROM ("
        + " UNION ALL ".join(branches).replace("possible, present + aea, authorised + "
                                               "unauthorised", "possible AS poss, present + "
                                               "aea AS att, authorised + unauthorised AS abs")
        + ") u GROUP BY school_id, pupil_id) per_pupil WHERE p > 0 GROUP BY sid")
    return core + [attendance]


_SPANS: dict = {}


def _terms_inside(school_id: int, start: dt.date, end: dt.date) -> list[tuple]:
    return [(a, b) for a, b, last in _SPANS.get(school_id, [])
            if start <= a <= end and (b <= end or last is None or last <= end)]


def load_spans(db, school_id: int) -> None:
    with db.engine.connect() as conn:
        _SPANS[school_id] = [tuple(r) for r in conn.execute(text(
            "SELECT term_start, term_end, last_marked FROM attendance_terms "
            "WHERE school_id = :s"),
            {"s": school_id})]


def run_bare(conn, statements: list[str]) -> dict:
    out = {}
    with conn.cursor() as cur:
        for i, sql in enumerate(statements):
            cur.execute(sql)
            out[i] = {r[0]: tuple(int(v or 0) for v in r[1:]) for r in cur.fetchall()}
    return out


def check_bare(api: dict, bare: dict) -> None:
    """The bare SQL must give the figures the API gives, or the baseline means nothing."""
    for school in api["schools"]:
        v, sid = school["values"], school["id"]
        pupils = bare[0].get(sid, (0,))[0]
        att = bare[4].get(sid)
        expected = {
            "core.pupils": pupils,
            "core.awaiting_triage": int(bare[2].get(sid, (0, 0))[0]),
            "core.open_cases": int(bare[2].get(sid, (0, 0))[1]),
            "core.overdue_actions": bare[3].get(sid, (0,))[0],
            "core.concerns_per_100": round(100 * bare[1].get(sid, (0,))[0] / pupils, 1)
            if pupils else None,
            "attendance.attendance_pct": round(100 * att[2] / att[1], 1) if att else None,
            "attendance.pa_pct": round(100 * att[3] / att[0], 1) if att else None,
            "attendance.sa_pct": round(100 * att[4] / att[0], 1) if att else None}
        got = {k: v.get(k) for k in expected}
        if got != expected:
            raise RuntimeError(f"bare SQL and the API disagree for school {sid}: "
                               f"{got} != {expected}")


# --- measuring ---------------------------------------------------------------------------------

def measure(db, url: str, app, trust: dict, cfg: dict, chron_pupil: int, today: dt.date) -> dict:
    import psycopg

    client, lead = app.test_client(), {"Authorization": f"Bearer {trust['token']}"}
    page = app.test_client()
    with page.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"], sess["mfa_ok"] = str(trust["lead"]), True, True
    dsl_page = app.test_client()
    first = trust["schools"][0]
    with dsl_page.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"], sess["mfa_ok"] = str(trust["dsl"][first]), True, True
    start = dt.date(academic_year_start(today), 9, 1)
    statements = bare_sql(trust["schools"], start, today, today)
    raw = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    def api():
        r = client.get("/api/v1/trust/overview", headers=lead)
        assert r.status_code == 200, r.status_code
        return r.get_json()

    check_bare(api(), run_bare(raw, statements))
    times: dict[str, list[float]] = {"api": [], "bare": [], "page": [], "dash": [], "chron": []}
    calls = {
        "api": api,
        "bare": lambda: run_bare(raw, statements),
        "page": lambda: _ok(page.get("/trust/overview?period=year")),
        "dash": lambda: _ok(dsl_page.get(f"/schools/{first}/dashboard")),
        "chron": lambda: _ok(dsl_page.get(
            f"/api/v1/schools/{first}/pupils/{chron_pupil}/chronology")),
    }
    for fn in calls.values():  # warm: imports, pools, caches
        fn()
    for _ in range(cfg["requests"]):  # interleaved, so no figure gets only quiet moments
        for name, fn in calls.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    raw.close()
    sent: list[str] = []

    def count(conn, cursor, statement, *args):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        api()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    out = {f"{k}_{p}_ms": pct(v, q) for k, v in times.items()
           for p, q in (("p50", 0.5), ("p95", 0.95))}
    out["statements_per_overview"] = len(sent)
    return out


def _ok(response):
    assert response.status_code == 200, response.status_code
    return response


def main(size: str) -> dict:
    from core.config import Settings
    from web import create_app

    cfg = SIZES[size]
    today = london_today()
    year = academic_year_start(today)
    report: dict = {"size": size, "date": today.isoformat(), **cfg,
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    t_start = time.perf_counter()
    with scratch_database() as (url, db), tempfile.TemporaryDirectory() as tmp:
        settings = Settings(instance_path=Path(tmp) / "instance", database_url=url,
                            secret_key="bench-secret-key-" * 3)
        app = create_app(settings, db=db, host=current_host())  # before the long build
        trust = build_trust(db, cfg, year)
        yesterday = today - dt.timedelta(days=1)
        one_year = (yesterday - dt.timedelta(days=cfg["days"] - 1), yesterday)
        t0 = time.perf_counter()
        marks = import_marks(db, trust, *one_year, Path(tmp), seed=1)
        report["import_seconds"] = round(time.perf_counter() - t0, 1)
        print(f"[trust {size}] {len(trust['schools'])} schools, {marks} marks imported in "
              f"{report['import_seconds']} s", flush=True)
        t0 = time.perf_counter()
        made = record_concerns(db, trust, cfg["concerns"], today, seed=3)
        plugin_records(db, trust, seed=2026)
        report["records_seconds"] = round(time.perf_counter() - t0, 1)
        analyse(db)
        for sid in trust["schools"]:
            load_spans(db, sid)
        one = measure(db, url, app, trust, cfg, made["chronology_pupil"], today)
        print(f"  one year stored: {one}", flush=True)
        earlier = tuple(d - dt.timedelta(days=364) for d in one_year)
        marks_before = import_marks(db, trust, *earlier, Path(tmp), seed=2)
        analyse(db)
        two = measure(db, url, app, trust, cfg, made["chronology_pupil"], today)
        print(f"  two years stored: {two}", flush=True)
        with db.engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM pupils")).scalar()
    report.update(
        schools=len(trust["schools"]), pupils=stored, marks=marks,
        marks_two_years=marks + marks_before, concerns=made["concerns"],
        concern_entries=made["entries"],
        overview_p50_ms=one["api_p50_ms"], overview_p95_ms=one["api_p95_ms"],
        bare_sql_p95_ms=one["bare_p95_ms"],
        ratio=round(one["api_p95_ms"] / one["bare_p95_ms"], 2) if one["bare_p95_ms"] else None,
        page_p50_ms=one["page_p50_ms"], page_p95_ms=one["page_p95_ms"],
        dsl_dashboard_p95_ms=one["dash_p95_ms"], chronology_200_p95_ms=one["chron_p95_ms"],
        statements_per_overview=one["statements_per_overview"],
        two_years={"overview_p50_ms": two["api_p50_ms"], "overview_p95_ms": two["api_p95_ms"],
                   "bare_sql_p95_ms": two["bare_p95_ms"],
                   "ratio": round(two["api_p95_ms"] / two["bare_p95_ms"], 2)
                   if two["bare_p95_ms"] else None,
                   "page_p95_ms": two["page_p95_ms"], "dsl_dashboard_p95_ms": two["dash_p95_ms"],
                   "chronology_200_p95_ms": two["chron_p95_ms"],
                   "statements_per_overview": two["statements_per_overview"]},
        targets={"overview_p95_ms": 250, "ratio": 1.5, "flat_in_years": True},
        one_year=one, total_seconds=round(time.perf_counter() - t_start, 1))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"trust_{size}.json"
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(json.dumps({k: report[k] for k in ("overview_p50_ms", "overview_p95_ms",
                                             "bare_sql_p95_ms", "ratio", "schools", "pupils",
                                             "marks")}))
    print(f"wrote {out}")
    return report
