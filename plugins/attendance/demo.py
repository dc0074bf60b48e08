"""Demo register marks: four weeks for every pupil of the demo trust, with a few patterns a
DSL should see (a run of unexplained absence, Monday absences, a lateness cluster)."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from core.calendar import calendar_for, london_today
from core.models import Pupil
from plugins.attendance import service

EVERYDAY = ["/"] * 90 + ["I"] * 4 + ["M", "L", "L", "N", "C", "B"]


def seed_demo(session, trust_id: int, school_ids: list[int], seed: int) -> None:
    """Marks for the last four weeks of school days before today, then one analysis."""
    rng = random.Random(seed)
    end = london_today() - dt.timedelta(days=1)
    for school_id in school_ids:
        cal = calendar_for(session, school_id)
        days = cal.school_days(end - dt.timedelta(weeks=4), end)
        if not days:
            continue
        pupils = list(session.scalars(select(Pupil).where(Pupil.school_id == school_id)))
        rows = []
        for i, p in enumerate(pupils):
            pattern = i % 40  # a few pupils in each school with a pattern worth seeing
            for d in days:
                if not p.on_roll(d):
                    continue
                for sess in cal.sessions_on(d):
                    if pattern == 1 and d >= days[-12]:
                        code = "N"
                    elif pattern == 2 and d.weekday() == 0:
                        code = "N" if rng.random() < 0.5 else "I"
                    elif pattern == 3 and sess == "AM" and rng.random() < 0.6:
                        code = "L"
                    else:
                        code = rng.choice(EVERYDAY)
                    if code == "/" and sess == "PM":
                        code = "\\"
                    rows.append((p.id, d.isoformat(), sess, code))
        outcome = service.import_pupil_marks(session, school_id, rows)
        if not outcome.ok:
            raise RuntimeError(f"demo marks refused: {outcome.errors.items[:3]}")
        service.analyse_school(session, school_id, days[-1])
