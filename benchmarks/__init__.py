"""Attendance benchmarks: import throughput against a raw COPY, peak memory of a large import,
and dashboard / trust-overview latency at two data sizes. Run ``python -m benchmarks --size
tiny|full`` with PostgreSQL at ``MAT_BENCH_PG_URL`` (default the local server, user postgres);
each run creates and drops its own scratch database and writes ``results/attendance_<size>.json``.
"""
