"""Benchmarks, each against a baseline measured in the same run. ``python -m benchmarks
[attendance|writes] --size tiny|full`` (no suite: all) with PostgreSQL at ``MAT_BENCH_PG_URL``
(default the local server, user postgres); each run creates and drops its own scratch database.

- ``attendance``: import throughput against a raw COPY, peak memory of a large import, and
  dashboard / trust-overview latency at two data sizes (``results/attendance_<size>.json``);
- ``writes``: recording concerns through the API under gunicorn against a bare Flask +
  SQLAlchemy INSERT endpoint served the same way (``results/writes_<size>.json``).
"""
