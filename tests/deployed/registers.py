"""Register files for the attendance tests: a long-format CSV of the pupils' marks on school
days up to yesterday, uploaded as the import page's API does, and the marks counted in the
database (each stored week holds fourteen two-character sessions; two spaces is no mark)."""
from __future__ import annotations

import datetime as dt
import json

from tests.deployed.deployment import Answer, Deployment, multipart

LAYOUT = {"pupil": "Pupil", "pupil_key": "pupil_id", "date": "Date", "session": "Session",
          "code": "Mark"}


def school_days(terms, last: int | None = None) -> list[dt.date]:
    """School days of ``terms`` before today (the ``last`` few, or all)."""
    from core.calendar import SchoolCalendar, london_today

    calendar = SchoolCalendar(list(terms), {})
    yesterday = london_today() - dt.timedelta(days=1)
    days = calendar.school_days(min(t.start for t in terms), yesterday)
    return days[-last:] if last else days


def register_csv(pupil_ids: list[int], days: list[dt.date]) -> tuple[bytes, int]:
    """Every session of every day for every pupil: present, with an unauthorised absence
    every seventh day. Returns the file and its number of marks."""
    lines = ["Pupil,Date,Session,Mark"]
    for pid in pupil_ids:
        for i, day in enumerate(days):
            absent = (i + pid) % 7 == 0
            lines.append(f"{pid},{day.isoformat()},AM,{'N' if absent else '/'}")
            lines.append(f"{pid},{day.isoformat()},PM,{'N' if absent else chr(92)}")
    return ("\n".join(lines) + "\n").encode(), 2 * len(pupil_ids) * len(days)


def upload(dep: Deployment, data: bytes, filename: str = "register.csv") -> Answer:
    body, ctype = multipart({"source": "csv", "layout": json.dumps(LAYOUT)},
                            {"file": (filename, data, "text/csv")})
    return dep.api("POST", f"/api/v1/schools/{dep.school_id}/attendance/imports",
                   dep.people["dsl"][1], body=body, content_type=ctype)


def import_status(dep: Deployment, batch_id: int) -> dict:
    answer = dep.api("GET", f"/api/v1/schools/{dep.school_id}/attendance/imports/{batch_id}",
                     dep.people["dsl"][1])
    assert answer.status == 200, f"import status: {answer}"
    return answer.json()


def marks_stored(dep: Deployment, pupil_ids: list[int]) -> int:
    return dep.scalar(
        "SELECT count(*) FROM attendance_weeks w CROSS JOIN generate_series(0, 13) k "
        "WHERE w.pupil_id = ANY(%s) AND substr(w.marks, k * 2 + 1, 2) <> '  '",
        (list(pupil_ids),))
