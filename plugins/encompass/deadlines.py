"""When the key adult's response is due: by morning registration on the next school day.

Operation Encompass asks that the key adult knows before the child arrives at school the
next school day. What the platform measures is when a key adult records that they have seen
the notification (*acknowledged*), against morning registration on the next school day:
a notification received on a school day before registration is due at that morning's
registration (the child is about to walk in); one received after registration, in the
evening, at a weekend or in a holiday is due at registration on the next day the school's
calendar has pupils in. Registration time is a trust setting (``encompass``:
``registration_time``, default 08:45), read in Europe/London time.

The next school day comes from the school's calendar and from nothing else. When the terms
entered end before it (a notification on the last day of the last term entered, or a school
with no terms at all), the deadline is **not known**: it is stored as none and shown as
"calendar missing", the DSL team and the school admins are told to enter the next term, and
:func:`recount_deadlines` (called whenever the school's terms or closures change) counts it
once the term is there. A guessed weekday would fall in the holiday and make a timely
response look late.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, mail
from core.alerts import raise_alert
from core.calendar import LONDON, SchoolCalendar, calendar_for, uk_date, uk_datetime
from core.errors import ValidationError
from core.models import Membership, School, User
from core.schools import set_trust_setting, trust_setting

from plugins.encompass.definition import NAME
from plugins.encompass.models import EncompassDeadline, EncompassNotification, EncompassStep

SETTING_KEY = NAME  # the trust setting is kept under the plugin's name
DEFAULTS = {"registration_time": "08:45"}
CALENDAR_MISSING = "calendar missing"


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
              ) -> dt.datetime | None:
    """Morning registration on the first school day after ``received_at`` that has a
    morning session (a day closed only in the morning has no morning registration), or
    ``None`` when the calendar entered does not reach that day (calendar missing)."""
    local = received_at.astimezone(LONDON)
    day = local.date()
    if "AM" in calendar.sessions_on(day) and local.time() < registration:
        return dt.datetime.combine(day, registration, LONDON)
    nxt = calendar.next_school_day(day, session="AM")
    return None if nxt is None else dt.datetime.combine(nxt, registration, LONDON)


def due_for_school(session: Session, school_id: int, received_at: dt.datetime
                   ) -> dt.datetime | None:
    """The response deadline for a notification that reached ``school_id`` at
    ``received_at``; ``None`` while the school's calendar does not reach it."""
    trust_id = session.get(School, school_id).trust_id
    return due_after(received_at, calendar_for(session, school_id),
                     registration_time(session, trust_id))


def due_text(due_at: dt.datetime | None) -> str:
    """The deadline as people read it (``5 January 2027, 08:45``, London time), or
    "calendar missing"."""
    return uk_datetime(due_at) if due_at is not None else CALENDAR_MISSING


def due_phrase(due_at: dt.datetime | None) -> str:
    """``due 5 January 2027, 08:45``, or why there is no deadline yet, for messages."""
    if due_at is None:
        return "not yet due (calendar missing: the school's next term is not entered)"
    return f"due {due_text(due_at)}"


def calendar_ends(calendar: SchoolCalendar) -> dt.date | None:
    """The last day of the last term entered (``None`` with no terms at all)."""
    return max((t.end for t in calendar.terms), default=None)


def _acknowledged_ids(session: Session, school_id: int) -> set[int]:
    return set(session.scalars(select(EncompassStep.notification_id).where(
        EncompassStep.school_id == school_id, EncompassStep.kind == "acknowledged")))


def recount_deadlines(session: Session, school_id: int, reason: str = "calendar changed"
                      ) -> int:
    """Count every open notification's deadline again from the school's calendar as it is
    now (after terms or closures changed). A notification a key adult has acknowledged keeps
    the deadline it was judged against; one that had none (calendar missing) gets its first.
    Each change is a new :class:`EncompassDeadline` (the notification and earlier deadlines
    are never edited) and an audit entry with the old and new deadline. Returns how many
    changed."""
    school = session.get(School, school_id)
    calendar = calendar_for(session, school_id)
    registration = registration_time(session, school.trust_id)
    acknowledged = _acknowledged_ids(session, school_id)
    changed = 0
    missing = False
    for n in session.scalars(select(EncompassNotification).where(
            EncompassNotification.school_id == school_id).order_by(EncompassNotification.id)):
        if n.id in acknowledged and n.due_at is not None:
            continue  # history is not rewritten
        due = due_after(n.received_at, calendar, registration)
        missing |= due is None and n.id not in acknowledged
        if due == n.due_at:
            continue
        session.add(EncompassDeadline(school_id=school_id, trust_id=n.trust_id,
                                      notification_id=n.id, due_at=due, reason=reason))
        audit.record(session, "encompass.deadline_recounted",
                     object_type="encompass_notification", object_id=n.id,
                     school_id=school_id,
                     detail={"reason": reason,
                             "from": n.due_at.isoformat() if n.due_at else None,
                             "to": due.isoformat() if due else None})
        changed += 1
    session.flush()
    for n in session.identity_map.values():
        if isinstance(n, EncompassNotification):
            session.expire(n, ["due_at"])  # read the deadline that stands now
    if missing:
        report_calendar_missing(session, school_id, calendar)
    return changed


def report_calendar_missing(session: Session, school_id: int,
                            calendar: SchoolCalendar | None = None) -> None:
    """Tell the DSL team (an alert) and the school admins (an email) that a deadline cannot
    be counted until the next term is entered. Once per end of the calendar: entering a term
    and running out again alerts again."""
    calendar = calendar or calendar_for(session, school_id)
    ends = calendar_ends(calendar)
    key = f"encompass:calendar:{ends.isoformat() if ends else 'none'}"
    where = f"the terms entered end on {uk_date(ends, weekday=True)}" if ends else "no terms are entered"
    message = (f"Operation Encompass deadlines cannot be counted: {where}. Ask the school "
               "admin to enter the next term (Admin, the school's calendar); open "
               "notifications get their deadline as soon as it is entered.")
    raise_alert(session, school_id, "encompass_calendar_missing", message, dedupe_key=key,
                plugin=NAME, link=f"/schools/{school_id}/encompass/")
    school = session.get(School, school_id)
    admins = session.execute(select(User.id, User.email).join(
        Membership, Membership.user_id == User.id).where(
        Membership.school_id == school_id, Membership.role == "school_admin",
        User.active.is_(True)))
    for user_id, email in sorted(set(admins)):
        mail.queue_mail(session, email, f"Enter the next term: {school.name}",
                        f"{message}\n\nEnter it at /admin/schools/{school_id}#calendar",
                        dedupe_key=f"{key}:{school_id}:{user_id}")


def calendar_gap(session: Session, school_id: int) -> dict | None:
    """What the pages say while deadlines wait for the calendar: how many notifications not
    yet acknowledged have no deadline, and when the terms entered end; ``None`` when every
    open notification has its deadline."""
    acknowledged = _acknowledged_ids(session, school_id)
    waiting = [i for i in session.scalars(select(EncompassNotification.id).where(
        EncompassNotification.school_id == school_id, EncompassNotification.due_at.is_(None)))
        if i not in acknowledged]
    if not waiting:
        return None
    return {"count": len(waiting), "ends": calendar_ends(calendar_for(session, school_id))}
