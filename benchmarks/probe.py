"""Run one import in this (fresh) process and report its time and peak memory as JSON:
``python -m benchmarks.probe <database url> <batch id>``."""
from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path

from core.db import Database, use_database
from core.plugins import make_host, use_host


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc (Linux), in MB. ``VmHWM`` is the peak
    resident size; unlike ``getrusage``'s ``ru_maxrss`` it is not inherited from the parent
    across fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def timed_import(batch_id: int) -> dict:
    """Run one import; its seconds exclude the signal analysis job it queues, which without
    Redis runs inline once the import commits (inside ``run_batch``) and is timed apart."""
    from core import jobs
    from plugins.attendance import service

    hand_over, analysis = jobs.hand_over, [0.0]

    def timed_hand_over(job_id):
        t = time.perf_counter()
        hand_over(job_id)
        analysis[0] += time.perf_counter() - t

    jobs.hand_over = timed_hand_over
    try:
        t0 = time.perf_counter()
        result = service.run_batch(batch_id)
        seconds = time.perf_counter() - t0
    finally:
        jobs.hand_over = hand_over
    return {"result": result, "seconds": seconds - analysis[0], "analysis_seconds": analysis[0]}


def main(url: str, batch_id: int) -> None:
    use_host(make_host())
    use_database(Database(url))
    importlib.import_module("plugins.attendance.service")  # loaded before the baseline
    base = _status_mb("VmRSS")
    out = timed_import(batch_id)
    print(json.dumps({**out, "peak_rss_mb": _status_mb("VmHWM"), "rss_before_import_mb": base}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
