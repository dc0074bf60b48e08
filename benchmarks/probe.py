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
    from plugins.attendance.service import run_batch

    base = _status_mb("VmRSS")
    t0 = time.perf_counter()
    result = run_batch(batch_id)
    seconds = time.perf_counter() - t0
    print(json.dumps({"result": result, "seconds": seconds, "peak_rss_mb": _status_mb("VmHWM"),
                      "rss_before_import_mb": base}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
