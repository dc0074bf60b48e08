"""Run one import in this (fresh) process and report its time and peak memory as JSON:
``python -m benchmarks.probe <database url> <batch id>``."""
from __future__ import annotations

import json
import resource
import sys
import time

from core.db import Database, use_database
from core.plugins import make_host, use_host


def main(url: str, batch_id: int) -> None:
    use_host(make_host())
    use_database(Database(url))
    from plugins.attendance.service import run_batch

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    result = run_batch(batch_id)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"result": result, "seconds": seconds, "peak_rss_mb": peak / 1024,
                      "rss_before_import_mb": base / 1024}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
