"""``python -m benchmarks --size tiny|full``: see the package docstring."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from core import accounts
from core.calendar import academic_year_start, calendar_for, london_today
from core.db import SYSTEM
from core.overview import trust_overview
from core.policy import actor_for

from .data import write_long_csv
from .scratch import scratch_database, seed_school

# "full" imports a year of marks for 13,200 pupils: 2 x 190 sessions each, about 5 million.
SIZES = {"tiny": 120, "full": 13_200}
RESULTS = Path(__file__).parent / "results"


def timed(fn, repeat: int = 5) -> float:
    """Median seconds of ``repeat`` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def read_latency(db, school_id: int, trust_id: int, lead_id: int) -> dict:
    """Milliseconds for the school dashboard's data and the trust overview (this year)."""
    from plugins.attendance.service import dashboard_data, year_to_date

    # the steady state a live database's autovacuum keeps (statistics, visibility map), not
    # the minutes just after a bulk import while autovacuum is still catching up
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE) attendance_weeks")
    start, end = year_to_date()
    with db.transaction(SYSTEM) as s:
        lead = actor_for(s, lead_id, mfa=True)
        dash = timed(lambda: dashboard_data(s, school_id, start, end))
        over = timed(lambda: trust_overview(s, lead, trust_id, start, end))
    return {"dashboard_ms": round(dash * 1000, 1), "trust_overview_ms": round(over * 1000, 1)}


def marks_stored(db) -> int:
    from sqlalchemy import text

    from plugins.attendance.weeks import marks_stored_sql

    with db.transaction(SYSTEM) as s:
        return int(s.execute(text(f"SELECT {marks_stored_sql()} FROM attendance_weeks")).scalar()
                   or 0)


def import_in_process(db, school_id: int, path: Path) -> dict:
    from plugins.attendance.service import create_batch

    from .probe import timed_import

    with db.transaction(SYSTEM) as s:
        batch_id = create_batch(s, None, school_id, "csv", str(path), path.name).id
    return timed_import(batch_id)


def import_in_subprocess(url: str, db, school_id: int, path: Path) -> dict:
    """Import in a fresh process, so its peak resident memory is the import's own."""
    from plugins.attendance.service import create_batch

    with db.transaction(SYSTEM) as s:
        batch_id = create_batch(s, None, school_id, "csv", str(path), path.name).id
    out = subprocess.run([sys.executable, "-m", "benchmarks.probe", url, str(batch_id)],
                         check=True, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1])
    return json.loads(out.stdout.strip().splitlines()[-1])


def raw_copy(db, path: Path) -> float:
    """Seconds to COPY the same CSV into a bare table with no checks, keys or indexes."""
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("CREATE TABLE bench_raw_marks (upn text, date text, session text, code text)")
        t0 = time.perf_counter()
        with open(path, "rb") as f, cur.copy("COPY bench_raw_marks FROM STDIN WITH (FORMAT csv, "
                                             "HEADER true)") as copy:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        raw.commit()
        seconds = time.perf_counter() - t0
        cur.execute("DROP TABLE bench_raw_marks")
        raw.commit()
        return seconds
    finally:
        raw.close()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("suite", nargs="?", choices=("attendance", "writes", "pupils", "signals", "trust",
                                                        "board", "all"),
                        default="all", help="which benchmark (default: all of them)")
    parser.add_argument("--size", choices=sorted({*SIZES, "medium"}), default="tiny",
                        help="medium: the trust benchmark's 50 schools of 100 pupils")
    args = parser.parse_args(argv)
    if args.size == "medium" and args.suite not in ("trust", "board"):
        parser.error("--size medium is only the trust and board benchmarks'")
    report = {}
    if args.suite in ("writes", "all"):
        from .writes import main as writes

        report["writes"] = writes(args.size)
    if args.suite in ("pupils", "all"):
        from .pupils import main as pupils

        report["pupils"] = pupils(args.size)
    if args.suite in ("signals", "all"):
        from .signals import main as signals

        report["signals"] = signals(args.size)
    if args.suite in ("trust", "all"):
        from .trust import main as trust

        report["trust"] = trust(args.size)
    if args.suite in ("board", "all"):
        from .board_report import main as board

        report["board"] = board(args.size)
    if args.suite in ("attendance", "all"):
        report["attendance"] = attendance(args.size)
    return report


def attendance(size: str) -> dict:
    args = argparse.Namespace(size=size)
    pupils = SIZES[args.size]
    today = london_today()
    year = academic_year_start(today)
    report: dict = {"size": args.size, "pupils": pupils, "date": today.isoformat(),
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                "platform": platform.platform()}}
    with scratch_database() as (url, db), tempfile.TemporaryDirectory() as tmp:
        school_id, trust_id, upns = seed_school(db, pupils)
        with db.transaction(SYSTEM) as s:
            cal = calendar_for(s, school_id)
            lead = accounts.create_user(s, "lead@bench.example", "Lead", "bench-password-1")
            accounts.grant_role(s, lead.id, "trust_lead", trust_id=trust_id)
            lead_id = lead.id
        this_year = Path(tmp) / "this_year.csv"
        last_year = Path(tmp) / "last_year.csv"
        n_this = write_long_csv(this_year, upns, cal, dt.date(year, 9, 1),
                                today - dt.timedelta(days=1))
        n_last = write_long_csv(last_year, upns, cal, dt.date(year - 1, 9, 1),
                                dt.date(year, 8, 31), seed=2)
        print(f"[{args.size}] {pupils} pupils: {n_this} marks this year, {n_last} last year",
              flush=True)

        first = import_in_process(db, school_id, this_year)
        small = {"marks_stored": marks_stored(db), **read_latency(db, school_id, trust_id,
                                                                   lead_id)}
        print(f"  read latency with {small['marks_stored']} marks: {small}", flush=True)

        big = import_in_subprocess(url, db, school_id, last_year)
        # the fastest of three raw COPYs: the baseline least flattering to the import
        copies = [raw_copy(db, last_year) for _ in range(3)]
        copy_seconds = min(copies)
        large = {"marks_stored": marks_stored(db), **read_latency(db, school_id, trust_id,
                                                                   lead_id)}
        print(f"  read latency with {large['marks_stored']} marks: {large}", flush=True)

        rate = n_last / big["seconds"]
        copy_rate = n_last / copy_seconds
        report["import"] = {
            "marks": n_last, "seconds": round(big["seconds"], 2), "marks_per_s": round(rate),
            "raw_copy_seconds": round(copy_seconds, 2), "raw_copy_marks_per_s": round(copy_rate),
            "raw_copy_runs_seconds": [round(c, 2) for c in copies],
            "ratio_to_copy": round(rate / copy_rate, 3), "target_ratio": 0.5,
            "result": big["result"],
            # the signal analysis job queued after the import commits (inline here, no Redis)
            "analysis_job_seconds": round(big["analysis_seconds"], 2),
            "first_import": {"marks": n_this, "seconds": round(first["seconds"], 2),
                             "analysis_job_seconds": round(first["analysis_seconds"], 2)}}
        report["memory"] = {"marks": n_last, "peak_rss_mb": round(big["peak_rss_mb"], 1),
                            "rss_before_import_mb": round(big["rss_before_import_mb"], 1),
                            "limit_mb": 300}
        report["read_latency"] = {"smaller": small, "larger": large}
        print(f"  import {rate:,.0f} marks/s vs raw COPY {copy_rate:,.0f} marks/s "
              f"(ratio {rate / copy_rate:.2f}); peak RSS {big['peak_rss_mb']:.0f} MB", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"attendance_{args.size}.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
