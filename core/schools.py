"""Trusts and schools: creating them, their calendars and trust settings."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import TermSpan
from core.errors import ValidationError
from core.models import ConcernCategory, NonSchoolDay, School, Term, Trust, TrustSetting
from core.models.concerns import DEFAULT_CATEGORIES
from core.plugins import current_host

URN_RE = re.compile(r"^\d{6}$")


def trust_of(session: Session, school_id: int) -> int | None:
    """The school's trust, looked up once per session (a school never moves trust): every
    audited write and every concern needs it."""
    known = session.info.setdefault("mat_trust_of", {})
    if school_id not in known:
        from core.db import system_scope

        with session.no_autoflush, system_scope(session, "the trust of a school"):
            known[school_id] = session.scalar(select(School.trust_id).where(
                School.id == school_id))
    return known[school_id]


def create_trust(session: Session, name: str) -> Trust:
    """Create a trust with the default KCSIE concern categories (which it may then edit)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["is required"]})
    if session.scalar(select(Trust.id).where(Trust.name == name)):
        raise ValidationError({"name": [f"a trust called {name!r} already exists"]})
    trust = Trust(name=name)
    session.add(trust)
    session.flush()
    for pos, (code, label) in enumerate(DEFAULT_CATEGORIES):
        session.add(ConcernCategory(trust_id=trust.id, code=code, label=label, position=pos))
    session.flush()
    audit.record(session, "trust.created", object_type="trust", object_id=trust.id,
                 trust_id=trust.id, detail={"name": name})
    return trust


def create_school(session: Session, trust_id: int, urn: str, name: str, phase: str = "",
                  la_code: str | None = None) -> School:
    """Add a school to a trust. ``urn`` is the DfE 6-digit unique reference number."""
    errors: dict[str, list[str]] = {}
    urn = (urn or "").strip()
    if not URN_RE.match(urn):
        errors["urn"] = ["must be the school's 6-digit DfE URN"]
    elif session.scalar(select(School.id).where(School.urn == urn)):
        errors["urn"] = [f"URN {urn} is already registered"]
    if not (name or "").strip():
        errors["name"] = ["is required"]
    if la_code is not None and not re.fullmatch(r"\d{3}", la_code):
        errors["la_code"] = ["must be a 3-digit local authority code"]
    if session.get(Trust, trust_id) is None:
        errors["trust_id"] = ["no such trust"]
    if errors:
        raise ValidationError(errors)
    school = School(trust_id=trust_id, urn=urn, name=name.strip(), phase=phase, la_code=la_code)
    session.add(school)
    session.flush()
    audit.record(session, "school.created", object_type="school", object_id=school.id,
                 school_id=school.id, detail={"urn": urn, "name": school.name})
    return school


def set_terms(session: Session, school_id: int, terms: list[TermSpan]) -> None:
    """Add terms to a school's calendar; overlapping terms are refused."""
    existing = [TermSpan(t.name, t.start_date, t.end_date)
                for t in session.scalars(select(Term).where(Term.school_id == school_id))]
    spans = sorted(existing + list(terms), key=lambda t: t.start)
    for i, t in enumerate(spans):
        if t.end < t.start:
            raise ValidationError({"end_date": [f"{t.name} ends before it starts"]})
        if i and t.start <= spans[i - 1].end:
            raise ValidationError({"start_date": [f"{t.name} overlaps {spans[i - 1].name}"]})
    for t in terms:
        session.add(Term(school_id=school_id, name=t.name, start_date=t.start, end_date=t.end))
    session.flush()
    audit.record(session, "calendar.terms_added", object_type="school", object_id=school_id,
                 school_id=school_id, detail={"terms": [t.name for t in terms]})
    calendar_changed(session, school_id)


def add_closure(session: Session, school_id: int, date: dt.date, reason: str,
                which: str = "ALL") -> NonSchoolDay:
    """Mark a day (or one session of it) closed to pupils: INSET, bank holiday, closure."""
    if which not in ("ALL", "AM", "PM"):
        raise ValidationError({"session": ["must be ALL, AM or PM"]})
    if not reason.strip():
        raise ValidationError({"reason": ["is required"]})
    if session.scalar(select(NonSchoolDay.id).where(NonSchoolDay.school_id == school_id,
                                                    NonSchoolDay.date == date)):
        raise ValidationError({"date": [f"{date.isoformat()} is already marked closed"]})
    row = NonSchoolDay(school_id=school_id, date=date, reason=reason.strip(), session=which)
    session.add(row)
    session.flush()
    audit.record(session, "calendar.closure_added", object_type="school", object_id=school_id,
                 school_id=school_id, detail={"date": date.isoformat(), "reason": reason})
    calendar_changed(session, school_id)
    return row


def calendar_changed(session: Session, school_id: int) -> None:
    """Tell the plugins switched on at the school that its calendar changed, so what they
    counted in school days (deadlines) is counted again (``mat_calendar_changed``)."""
    current_host().call_for_school(session, school_id, "mat_calendar_changed")


# KCSIE asks for the child-protection file within 5 days of an in-year transfer, or within
# the first 5 days of the start of a new term, without saying which days. Counting school
# days is the platform's reading (a file is prepared and sent on days the school is open);
# a trust that reads them as calendar days says so here.
DEADLINE_DAYS_KEY = "deadline_days"
DAY_COUNTS = {"school": "school days", "calendar": "calendar days"}


def deadline_day_count(session: Session, trust_id: int) -> str:
    """How the trust counts the days of a deadline given in days: ``school`` (the default)
    or ``calendar``."""
    count = trust_setting(session, trust_id, DEADLINE_DAYS_KEY, {"count": "school"})["count"]
    return count if count in DAY_COUNTS else "school"


def set_deadline_day_count(session: Session, trust_id: int, count: str) -> None:
    """Count the trust's deadlines in ``school`` or ``calendar`` days (audited). Deadlines
    already set keep the count they were set with."""
    if count not in DAY_COUNTS:
        raise ValidationError({"deadline_days": ["must be school days or calendar days"]})
    set_trust_setting(session, trust_id, DEADLINE_DAYS_KEY, {"count": count})


def trust_setting(session: Session, trust_id: int, key: str, default: dict) -> dict:
    """A trust's setting merged over ``default`` (so new keys get their default)."""
    row = session.scalar(select(TrustSetting).where(TrustSetting.trust_id == trust_id,
                                                    TrustSetting.key == key))
    merged = dict(default)
    if row is not None:
        merged.update(row.value)
    return merged


def set_trust_setting(session: Session, trust_id: int, key: str, value: dict) -> None:
    row = session.scalar(select(TrustSetting).where(TrustSetting.trust_id == trust_id,
                                                    TrustSetting.key == key))
    if row is None:
        session.add(TrustSetting(trust_id=trust_id, key=key, value=value))
    else:
        row.value = dict(value)
    session.flush()
    audit.record(session, "trust.setting_changed", object_type="trust_setting", object_id=key,
                 trust_id=trust_id, detail=value)
