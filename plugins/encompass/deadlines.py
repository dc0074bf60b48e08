"""When the key adult's response is due: before registration on the next school day.

"Next school day" is the next start of a school day after the notification arrives: a
notification received on a school day before registration is due at that morning's
registration (the child is about to walk in); one received after registration, in the
evening, at a weekend or in a holiday is due at registration on the next day the school's
calendar has pupils in. Registration time is a trust setting (``encompass``:
``registration_time``, default 08:45), read in Europe/London time.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from core.calendar import LONDON, SchoolCalendar, calendar_for
from core.errors import ValidationError
from core.models import School
from core.schools import set_trust_setting, trust_setting

from plugins.encompass.definition import NAME

SETTING_KEY = NAME  # the trust setting is kept under the plugin's name
DEFAULTS = {"registration_time": "08:45"}


def parse_hhmm(value: str) -> dt.time:
    """``"08:45"`` as a time; a clear error naming the setting otherwise."""
    try:
        hours, minutes = str(value).split(":")
        return dt.time(int(hours), int(minutes))
    except (ValueError, TypeError):
        raise ValidationError({"registration_time": ["must be a time like 08:45"]}) from None


def registration_time(session: Session, trust_id: int) -> dt.time:
    """The trust's morning registration time (default 08:45)."""
    return parse_hhmm(trust_setting(session, trust_id, SETTING_KEY, DEFAULTS)["registration_time"])


def set_registration_time(session: Session, trust_id: int, value: str) -> None:
    """Change the trust's registration time (validated, audited by the core)."""
    t = parse_hhmm(value)
    if not dt.time(7, 0) <= t <= dt.time(10, 0):
        raise ValidationError({"registration_time": ["must be between 07:00 and 10:00"]})
    current = trust_setting(session, trust_id, SETTING_KEY, DEFAULTS)
    set_trust_setting(session, trust_id, SETTING_KEY,
                      {**current, "registration_time": f"{t:%H:%M}"})


def due_after(received_at: dt.datetime, calendar: SchoolCalendar, registration: dt.time
              ) -> dt.datetime:
    """Morning registration on the first school day after ``received_at`` that has a
    morning session (a day closed only in the morning has no morning registration). With no
    term dates entered, weekdays stand in, so no notification is left without a deadline."""
    local = received_at.astimezone(LONDON)
    has_terms = bool(calendar.terms)

    def has_morning(d: dt.date) -> bool:
        return "AM" in calendar.sessions_on(d) if has_terms else d.weekday() < 5

    day = local.date()
    if has_morning(day) and local.time() < registration:
        return dt.datetime.combine(day, registration, LONDON)
    nxt = calendar.next_school_day(day, session="AM") if has_terms else None
    if nxt is None:
        nxt = day + dt.timedelta(days=1)
        while nxt.weekday() >= 5:
            nxt += dt.timedelta(days=1)
    return dt.datetime.combine(nxt, registration, LONDON)


def due_for_school(session: Session, school_id: int, received_at: dt.datetime) -> dt.datetime:
    """The response deadline for a notification that reached ``school_id`` at ``received_at``."""
    trust_id = session.get(School, school_id).trust_id
    return due_after(received_at, calendar_for(session, school_id),
                     registration_time(session, trust_id))
