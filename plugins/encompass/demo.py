"""Demo data: a dozen notifications across the demo trust's schools, in every state of the
response, including a family reached at two schools and a child nobody could match."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calendar import LONDON
from core.db import utcnow
from core.models import FamilyLink, Membership, Pupil, TotpDevice
from core.policy import actor_for

from plugins.encompass import service
from plugins.encompass.models import KeyAdult

FORCES = ("Northshire Police", "Riverside Constabulary")
PLACES = ("the family home", "a relative's flat", "the street outside the home", None)
SUMMARIES = (
    "Police attended a verbal argument between adults at the home; the child was upstairs. "
    "Mother safe, partner left the address.",
    "Report of a physical assault by father on mother. Father arrested. The children were "
    "present and were seen by officers.",
    "Neighbour called police about shouting and breaking glass. No arrests; advice given.",
    None,
)


def _user(session: Session, school_id: int, role: str) -> int:
    return session.scalar(select(Membership.user_id).where(Membership.school_id == school_id,
                                                           Membership.role == role))


def _child(p: Pupil) -> dict:
    return {"first_name": p.first_name, "last_name": p.last_name, "date_of_birth": p.date_of_birth}


def seed_demo(session: Session, trust_id: int, school_ids: list[int], seed: int) -> None:
    """Key adults for each school, then twelve notifications with responses."""
    rng = random.Random(seed + 5)
    now = utcnow()
    from core.demo import DEMO_TOTP_SECRET

    for sid in school_ids:
        staff = _user(session, sid, "staff")
        if staff is None:
            continue
        session.add(KeyAdult(school_id=sid, user_id=staff))
        if not session.scalar(select(TotpDevice.id).where(TotpDevice.user_id == staff)):
            # key adults open police information, so they sign in with a second factor too
            session.add(TotpDevice(user_id=staff, name="demo authenticator",
                                   secret=DEMO_TOTP_SECRET, confirmed_at=now))
    session.flush()
    ref = 4100
    plan = []  # (school, children, days ago, how far the response got)
    for sid in school_ids:
        roll = list(session.scalars(select(Pupil).where(Pupil.school_id == sid,
                                                        Pupil.on_roll_to.is_(None)).limit(150)))
        for stage in ("closed", "support", "acknowledged"):
            plan.append((sid, [_child(rng.choice(roll))], rng.randrange(3, 40), stage))
    # a family with children at two schools: the notification names one, both are reached
    cross = None
    for fl in session.scalars(select(FamilyLink).where(FamilyLink.trust_id == trust_id)):
        a, b = session.get(Pupil, fl.pupil_id), session.get(Pupil, fl.related_pupil_id)
        if a.school_id != b.school_id and a.on_roll_to is None and b.on_roll_to is None:
            cross = a
            break
    if cross is not None:
        plan.append((cross.school_id, [_child(cross)], 1, "acknowledged"))
    first = school_ids[0]
    # a child nobody could match (a name not on the roll) and one with the date written
    # the American way (day and month swapped): both wait for the DSL
    plan.append((first, [{"first_name": "Kayden", "last_name": "Marsh-Whitfield",
                          "date_of_birth": dt.date(2017, 2, 14)}], 0, "new"))
    swapped = session.scalar(select(Pupil).where(Pupil.school_id == school_ids[-1]).where(
        Pupil.on_roll_to.is_(None)).limit(1))
    if swapped is not None and swapped.date_of_birth.day <= 12 and \
            swapped.date_of_birth.day != swapped.date_of_birth.month:
        dob = swapped.date_of_birth
        plan.append((school_ids[-1], [{"first_name": swapped.first_name,
                                       "last_name": swapped.last_name,
                                       "date_of_birth": dt.date(dob.year, dob.day, dob.month)}],
                     0, "new"))
    for sid, children, days_ago, stage in plan[:12]:
        ref += rng.randrange(1, 90)
        received = (now - dt.timedelta(days=days_ago)).astimezone(LONDON).replace(
            hour=rng.choice((6, 7, 22, 23)), minute=rng.choice((5, 20, 40)))
        if received > now:
            received -= dt.timedelta(days=1)
        incident = (received - dt.timedelta(hours=rng.randrange(3, 20))).date()
        data = {"force": rng.choice(FORCES), "police_reference": f"DA/{incident.year}/{ref}",
                "incident_date": incident, "incident_time": dt.time(rng.randrange(18, 23), 30),
                "incident_place": rng.choice(PLACES), "received_at": received,
                "children": children, "child_present": rng.choice((True, False, None)),
                "welfare_check": rng.choice((True, None)), "summary": rng.choice(SUMMARIES),
                "officer_name": rng.choice(("PC 2231 Okafor", "DC Hughes", None)),
                "officer_contact": "101 ext 4471" if rng.random() < 0.5 else None}
        n = service.receive(session, sid, data, source=rng.choice(("api", "form"))).notification
        key_adult = actor_for(session, _user(session, sid, "staff"), mfa=True)
        dsl = actor_for(session, _user(session, sid, "dsl"), mfa=True)
        at = received + dt.timedelta(minutes=rng.randrange(20, 200))
        if stage in ("acknowledged", "support", "closed") and at < now:
            service.add_step(session, key_adult, sid, n.id, "acknowledged", at=at)
        if stage in ("support", "closed") and at + dt.timedelta(hours=2) < now:
            service.add_step(session, key_adult, sid, n.id, "support",
                             at=at + dt.timedelta(hours=2),
                             support=rng.sample(["check_in", "quiet_space", "trusted_adult"], 2),
                             body="Checked in at registration; seemed tired but settled.")
        if stage == "closed" and at + dt.timedelta(days=2) < now:
            service.add_step(session, dsl, sid, n.id, "dsl_review", at=at + dt.timedelta(days=1),
                             body="Support in place; no further incidents. Parent spoken to.")
            service.add_step(session, dsl, sid, n.id, "closed", at=at + dt.timedelta(days=2),
                             body="Closed: child settled, key adult to keep an eye.")
