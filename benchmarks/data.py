"""Register files for the benchmarks: every pupil, every session of a span of school days."""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from core.calendar import SchoolCalendar

CODES = ["/"] * 88 + ["L"] * 3 + ["I"] * 4 + ["N", "M", "U", "B", "C"]


def write_long_csv(path: Path, upns: list[str], cal: SchoolCalendar, start: dt.date,
                   end: dt.date, seed: int = 1) -> int:
    """Write UPN,Date,Session,Mark rows; returns the number of marks."""
    rng = random.Random(seed)
    days = [(d.isoformat(), cal.sessions_on(d)) for d in cal.school_days(start, end)]
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("UPN,Date,Session,Mark\n")
        for upn in upns:
            lines = []
            for iso, sessions in days:
                for s in sessions:
                    code = rng.choice(CODES)
                    if code == "/" and s == "PM":
                        code = "\\"
                    lines.append(f"{upn},{iso},{s},{code}\n")
            n += len(lines)
            f.write("".join(lines))
    return n
