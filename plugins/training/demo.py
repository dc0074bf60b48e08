"""Demo data: a staff list for each demo school with a realistic spread of training that is in
date, due soon, expired and missing; a session with absentees to follow up; and policies with
signatures (one superseded by a new version). Every person is fictional."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calendar import london_today
from core.models import Membership, User
from plugins.training import service

FIRST = ["Helen", "Mark", "Priya", "Joanne", "Tariq", "Sian", "Gareth", "Beata", "Femi",
         "Claire", "Owen", "Nadia", "Rachel", "Stuart", "Agnieszka", "Dev", "Lorraine", "Kwame",
         "Fiona", "Imran", "Bethan", "Colin"]
LAST = ["Ashworth", "Bennett", "Chowdhury", "Dunne", "Ellis", "Fraser", "Gill", "Hussain",
        "Iqbal", "Jarvis", "Kaur", "Lowe", "McAllister", "Nolan", "Osei", "Pritchard"]
ROLE_MIX = ["teacher"] * 7 + ["support_staff"] * 5 + ["midday_supervisor"] * 3 + \
    ["office_staff"] * 2 + ["volunteer", "governor", "governor"]
ACCOUNT_ROLES = (("dsl", "teacher", "dsl"), ("deputydsl", "teacher", "deputy_dsl"),
                 ("staff", "teacher", ""), ("headteacher", "headteacher", ""),
                 ("schooladmin", "office_staff", ""))


def _ago(today: dt.date, rng: random.Random, low: int, high: int) -> dt.date:
    return today - dt.timedelta(days=rng.randrange(low, high))


def _accounts(session: Session, school_id: int) -> dict[str, tuple[str, str]]:
    """The demo sign-in accounts of a school: role -> (name, email)."""
    rows = session.execute(select(Membership.role, User.name, User.email).join(
        User, User.id == Membership.user_id).where(Membership.school_id == school_id))
    return {role: (name, email) for role, name, email in rows}


def seed_demo(session: Session, trust_id: int, school_ids: list[int], seed: int) -> None:
    """Seed the training demo for each school (system session, quick)."""
    today = london_today()
    courses = {c.code: c for c in service.ensure_courses(session, trust_id)}
    for idx, school_id in enumerate(school_ids):
        rng = random.Random(seed * 31 + idx)
        accounts = _accounts(session, school_id)
        people = []
        for key, job, sg in ACCOUNT_ROLES:
            role = {"deputydsl": "deputy_dsl", "schooladmin": "school_admin"}.get(key, key)
            if role in accounts:
                name, email = accounts[role]
                people.append(service.add_person(session, None, school_id, dict(
                    name=name, email=email, job_role=job, safeguarding_role=sg,
                    recruits=role in ("headteacher", "dsl"),
                    started_on=_ago(today, rng, 800, 3000))))
        for n, job in enumerate(ROLE_MIX):
            name = f"{FIRST[(n + idx * 5) % len(FIRST)]} {LAST[(n * 3 + idx) % len(LAST)]}"
            email = None if job in ("volunteer", "midday_supervisor") else \
                f"{name.lower().replace(' ', '.')}.{school_id}@demo.invalid"
            people.append(service.add_person(session, None, school_id, dict(
                name=name, email=email, job_role=job, started_on=_ago(today, rng, 60, 4000))))
        for p in people:
            _records(session, school_id, p, courses, rng, today, idx)
        _session_with_absentees(session, school_id, people, courses, today)
        _policies(session, school_id, people, rng, today)


def _records(session, school_id, person, courses, rng, today, idx) -> None:
    add = service.add_record
    add(session, None, school_id, person.id, courses["induction"].id,
        max(person.started_on or today, today - dt.timedelta(days=3000)),
        provider="In school", today=today)
    roll = rng.random()
    if roll < 0.65:      # in date
        add(session, None, school_id, person.id, courses["annual_update"].id,
            _ago(today, rng, 40, 330), provider="In school", today=today)
    elif roll < 0.8:     # due within 30 days
        add(session, None, school_id, person.id, courses["annual_update"].id,
            _ago(today, rng, 340, 364), provider="Local authority", today=today)
    elif roll < 0.92:    # expired
        add(session, None, school_id, person.id, courses["annual_update"].id,
            _ago(today, rng, 380, 500), provider="Local authority", today=today)
    if person.safeguarding_role:
        # one school's deputy is due soon, another's has lapsed: something for the trust to see
        lapsed = person.safeguarding_role == "deputy_dsl" and idx == 1
        days = (800, 900) if lapsed else ((700, 720) if idx == 2 else (100, 500))
        add(session, None, school_id, person.id, courses["dsl_training"].id,
            _ago(today, rng, *days), provider="Local authority DSL course", today=today)
    if person.job_role in ("teacher", "support_staff", "headteacher") and rng.random() < 0.7:
        add(session, None, school_id, person.id, courses["prevent"].id,
            _ago(today, rng, 30, 900), provider="Home Office Prevent e-learning", today=today)
    if person.job_role in ("teacher", "headteacher") and rng.random() < 0.45:
        add(session, None, school_id, person.id, courses["online_safety"].id,
            _ago(today, rng, 30, 500), provider="National Online Safety", today=today)
    if person.recruits:
        add(session, None, school_id, person.id, courses["safer_recruitment"].id,
            _ago(today, rng, 100, 1000), provider="Safer Recruitment Consortium", today=today)


def _session_with_absentees(session, school_id, people, courses, today) -> None:
    held = today - dt.timedelta(days=21)
    expected = [p for p in people if p.job_role in ("teacher", "support_staff")]
    ts = service.create_session(session, None, school_id, courses["online_safety"].id, held,
                                 "Online safety: gaming and grooming", "DSL",
                                 [p.id for p in expected])
    absent = {p.id for p in expected[2::4]}
    service.mark_attendance(session, None, school_id, ts.id,
                             [p.id for p in expected if p.id not in absent], today=today)


def _policies(session, school_id, people, rng, today) -> None:
    kcsie = service.publish_policy(session, None, school_id, "Keeping children safe in education, "
                             "part one", "2025", "Statutory guidance from 1 September 2025.",
                             published_on=today - dt.timedelta(days=60))
    old = service.publish_policy(session, None, school_id, "Child protection policy", "v2",
                           published_on=today - dt.timedelta(days=400))
    for p in people:
        if rng.random() < 0.85:
            service.record_paper_signature(session, None, school_id, kcsie.id, p.id)
        service.record_paper_signature(session, None, school_id, old.id, p.id)
    new = service.publish_policy(session, None, school_id, "Child protection policy", "v3",
                           "Updated for KCSIE 2025 and the new local safeguarding arrangements.",
                           published_on=today - dt.timedelta(days=10))
    for p in service.current_staff(session, school_id, today)[:6]:
        service.record_paper_signature(session, None, school_id, new.id, p.id)
