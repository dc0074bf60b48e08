"""Run one import in this (fresh) process and report its time and peak memory as JSON:
``python -m benchmarks.probe <database url> <batch id>``."""
from __future__ import annotations

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


def main(url: str, batch_id: int) -> None:
    use_host(make_host())
    use_database(Database(url))
    from plugins.attendance import service

    # the signal analysis is its own job, queued once the import commits; without Redis it
    # runs inline inside run_batch, so time it separately to report both figures
    queued = service._analyse_after
    analysis = {"seconds": 0.0}

    def timed_analysis(*args, **kwargs):
        t = time.perf_counter()
        queued(*args, **kwargs)
        analysis["seconds"] += time.perf_counter() - t

    service._analyse_after = timed_analysis
    base = _status_mb("VmRSS")
    t0 = time.perf_counter()
    result = service.run_batch(batch_id)
    seconds = time.perf_counter() - t0
    print(json.dumps({"result": result, "seconds": seconds - analysis["seconds"],
                      "analysis_seconds": analysis["seconds"],
                      "peak_rss_mb": _status_mb("VmHWM"), "rss_before_import_mb": base}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
