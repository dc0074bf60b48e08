"""Register marks from a Common Transfer File (CTF), streamed with ``defusedxml``.

A CTF carries attendance, where it carries any, per pupil and academic year as
``YearData/AttendSessions`` with an ``AttendanceStartDate`` (yyyy-MM-dd) and an
``AttendanceMarks`` string of session-by-session marks from that date (element names from
public MIS code; no CTF schema was available, see the README, Attendance). This reader takes the
string as two characters per calendar day, morning then afternoon, from the start date; on a
day the school's calendar has no session the characters are skipped, and ``-`` or a space
means the session was not marked. One character per session cannot hold the two-character
codes of 2024 (C1, J1, Y1...), so such files carry the single-letter codes only.
"""
from __future__ import annotations

import datetime as dt
from typing import IO, Callable, Iterator

from defusedxml.ElementTree import iterparse

from core import date_limits

from plugins.attendance.parsing import ErrorLog, RawMark

UNMARKED = {"-", " ", "#", "*"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(elem, name: str) -> str:
    for child in elem.iter():
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def read_ctf(stream: IO[bytes], errors: ErrorLog,
             has_sessions: Callable[[dt.date], bool]) -> Iterator[RawMark]:
    """Marks from a CTF. ``line`` is the pupil's position in the file (1 = first pupil), since
    XML parsers do not keep line numbers; fields are named by element path."""
    n = 0
    try:
        for event, elem in iterparse(stream, events=("end",)):
            tag = _local(elem.tag)
            if tag != "Pupil":
                continue
            n += 1
            upn = _child_text(elem, "UPN")
            for block in elem.iter():
                if _local(block.tag) != "AttendSessions":
                    continue
                start_raw = _child_text(block, "AttendanceStartDate")
                marks = _child_text(block, "AttendanceMarks")
                try:
                    start = date_limits.parse_date(start_raw)
                except ValueError:
                    errors.add(n, "AttendSessions/AttendanceStartDate",
                               f"{start_raw!r} is not a date between 1900 and 2100 "
                               "(yyyy-MM-dd)")
                    continue
                for i, ch in enumerate(marks):
                    day = start + dt.timedelta(days=i // 2)
                    if ch in UNMARKED or not has_sessions(day):
                        continue
                    session = "AM" if i % 2 == 0 else "PM"
                    where = f"AttendSessions/AttendanceMarks[{i + 1}]"
                    yield RawMark(n, upn, day.isoformat(), session, ch, "UPN", where, where,
                                  where)
            elem.clear()
    except Exception as exc:  # malformed or hostile XML: defusedxml refuses entities too
        errors.add(n + 1, "file", f"not a readable CTF XML file ({type(exc).__name__}: {exc})")
