"""``mat demo``: a realistic demo trust. Three schools of a few hundred pupils each, a term of
concerns across categories and roles, family links across schools, and every plugin's own
demo data through ``mat_demo_data``. Reproducible from a seed; every person is fictional."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import accounts, concerns, pupils, schools
from core.calendar import LONDON, academic_year_start, england_terms, london_today, may_bank_holidays
from core.db import Database, SYSTEM
from core.models import ConcernCategory, TotpDevice
from core.models.pupils import FLAGS
from core.plugins import current_host
from core.policy import actor_for
from core.upn import make_upn

DEMO_PASSWORD = "demo-password-2026"
# Known authenticator secret for demo accounts only, so a visitor can sign in with 2FA
# (README lists it; `mat demo` prints it). Never used outside `mat demo`.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
TRUST_NAME = "Northfield Learning Trust"
SCHOOLS = (  # fictional schools; URNs from an unused range
    ("990101", "Northfield Primary Academy", "Primary", range(0, 7)),
    ("990102", "Riverside Primary Academy", "Primary", range(0, 7)),
    ("990103", "Northfield Secondary Academy", "Secondary", range(7, 12)),
)
FIRST = ["Amelia", "Olivia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Freya", "Zoë", "Aisha",
         "Noah", "Oliver", "George", "Leo", "Arthur", "Muhammad", "Harry", "Oscar", "Jayden",
         "Kacper", "Siobhán", "Chloé", "Tomasz", "Precious", "Kai", "Ruby", "Ella", "Jack",
         "Theo", "Mason", "Priya", "Yusuf", "Maja", "Dylan", "Evie", "Reggie", "Ayaan", "Grace"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
        "Patel", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts",
        "Green", "Hall", "Khan", "Nowak", "O'Brien", "Okafor", "Hughes", "Clarke", "Ahmed",
        "Lewis", "Murphy", "Kowalski", "Begum", "Edwards", "Harris-Lee", "Turner"]
LOCATIONS = ["Classroom", "Playground", "Dinner hall", "School gate", "Corridor", "PE changing room",
             "Online (reported by pupil)", "Breakfast club", "Library"]
FACTS = {
    "neglect": ("{n} arrived without a coat again in the rain and ate two breakfasts at breakfast "
                "club. Uniform has not been washed this week.", "I don't have a coat that fits."),
    "emotional_abuse": ("{n} became very upset when told a letter would go home, saying mum would "
                        "be angry and shout.", "Please don't tell mum, she'll go mad."),
    "physical_abuse": ("I noticed a bruise on {n}'s upper arm, about the size of a fingertip "
                       "grip, when changing for PE.", "I fell over."),
    "domestic_abuse": ("{n} said there was shouting at home last night and the police came.",
                       "Dad threw the remote and the police came."),
    "online_safety": ("{n} showed a friend messages from an adult they met in a game asking for "
                      "photos.", "He said he's 15 but he sounds old."),
    "mental_health": ("{n} has been withdrawn for two weeks and was crying in the toilets at lunch.",
                      "I just feel sad all the time."),
    "self_harm": ("I saw fresh scratches on {n}'s wrist during art.", ""),
    "missing_education": ("{n} has been absent for four days with no contact from home; calls "
                          "unanswered.", ""),
    "child_on_child": ("{n} said two older pupils took their phone and pushed them at the bus stop.",
                       "They do it every day."),
    "bullying": ("{n} reported name-calling in the group chat about their family.", ""),
    "cce": ("{n} has new expensive trainers and was seen getting into a car with older youths "
            "after school.", ""),
    "substance_misuse": ("{n} smelt strongly of cannabis in period 1.", ""),
}


@dataclass
class DemoResult:
    trust_id: int
    school_ids: list[int]
    accounts: list[tuple[str, str, str]]  # email, role, school


def _account(s: Session, email: str, name: str, role: str, *, school_id=None, trust_id=None,
             totp: bool = False) -> None:
    u = accounts.create_user(s, email, name, DEMO_PASSWORD)
    accounts.grant_role(s, u.id, role, school_id=school_id, trust_id=trust_id)
    if totp:
        s.add(TotpDevice(user_id=u.id, name="demo authenticator", secret=DEMO_TOTP_SECRET,
                         confirmed_at=dt.datetime.now(dt.timezone.utc)))
    s.flush()


def seed(db: Database, seed: int = 2026, pupils_per_school: int = 300,
         progress: Callable[[str], None] = lambda msg: None, today: dt.date | None = None,
         exports_to: Path | None = None) -> DemoResult:
    """Create the demo trust in one transaction (all of it or none). With ``exports_to``,
    each school's sample MIS export (a CTF and a CSV) is written there, to try onboarding."""
    rng = random.Random(seed)
    today = today or london_today()
    year = academic_year_start(today)
    with db.transaction(SYSTEM) as s:
        trust = schools.create_trust(s, TRUST_NAME)
        made: list[tuple[str, str, str]] = []
        _account(s, "lead@demo.invalid", "Tessa Lead", "trust_lead", trust_id=trust.id, totp=True)
        _account(s, "admin@demo.invalid", "Adam Admin", "trust_admin", trust_id=trust.id)
        made += [("lead@demo.invalid", "trust_lead", "all schools"),
                 ("admin@demo.invalid", "trust_admin", "all schools")]
        cats = {c.code: c.id for c in s.scalars(select(ConcernCategory).where(
            ConcernCategory.trust_id == trust.id))}
        school_ids: list[int] = []
        all_pupils: list[tuple[int, int, str]] = []  # id, school, last name
        for idx, (urn, name, phase, years) in enumerate(SCHOOLS, start=1):
            progress(f"school {name}")
            sc = schools.create_school(s, trust.id, urn, name, phase, la_code="330")
            school_ids.append(sc.id)
            schools.set_terms(s, sc.id, england_terms(year - 1) + england_terms(year))
            for y in (year, year + 1):
                for d in may_bank_holidays(y):
                    schools.add_closure(s, sc.id, d, "Bank holiday")
            schools.add_closure(s, sc.id, dt.date(year, 9, 1) + dt.timedelta(
                days=(0 - dt.date(year, 9, 1).weekday()) % 7 + 7 * 6), "INSET day")
            slug = ["north-primary", "riverside", "north-secondary"][idx - 1]
            for role, who, totp in (("dsl", "Dee Ess-Ell", True), ("deputy_dsl", "Dan Deputy", True),
                                    ("staff", "Sam Staff", False), ("headteacher", "Hana Head", False),
                                    ("school_admin", "Sid Admin", False)):
                email = f"{role.replace('_', '')}.{slug}@demo.invalid"
                _account(s, email, f"{who} ({name.split()[0]} {name.split()[1]})", role,
                         school_id=sc.id, totp=totp)
                made.append((email, role, name))
            for plugin in current_host().names:
                current_host().set_enabled(s, sc.id, plugin, True)
            for n in range(pupils_per_school):
                yg = rng.choice(list(years))
                age = yg + 5
                dob = dt.date(year - age, 9, 1) + dt.timedelta(days=rng.randrange(365))
                p = pupils.add_pupil(
                    s, None, sc.id, upn=make_upn("330", f"{4000 + idx:04d}", year - yg + 2, n),
                    first_name=rng.choice(FIRST), last_name=rng.choice(LAST), date_of_birth=dob,
                    gender=rng.choice("FM"), year_group=yg,
                    on_roll_from=dt.date(year - (yg % 7), 9, 1) if n % 25 else
                    today - dt.timedelta(days=rng.randrange(20, 60)),
                    address=f"{rng.randrange(1, 200)} {rng.choice(['Mill', 'Church', 'Park', 'Station'])} Road")
                all_pupils.append((p.id, sc.id, p.last_name))
                r = rng.random()
                if r < 0.16:
                    flag = rng.choice(list(FLAGS))
                    pupils.set_flag(s, None, sc.id, p.id, flag,
                                    today - dt.timedelta(days=rng.randrange(30, 700)))
        progress("family links")
        _sibling_links(s, all_pupils, rng)
        _family_and_contacts(s, school_ids, all_pupils)
        progress("concerns")
        start = today - dt.timedelta(days=84)
        for sc_id in school_ids:
            dsl = actor_for(s, _user_id(s, "dsl", sc_id), mfa=True)
            staff = actor_for(s, _user_id(s, "staff", sc_id), mfa=False)
            ids = [p for p, sid, _ in all_pupils if sid == sc_id]
            for k in range(55):
                code = rng.choice(list(FACTS))
                pid = rng.choice(ids[:120]) if rng.random() < 0.5 else rng.choice(ids)
                when = dt.datetime.combine(start + dt.timedelta(days=rng.randrange(84)),
                                           dt.time(rng.randrange(8, 16), rng.choice((0, 15, 30, 45))),
                                           LONDON)
                if when.astimezone(dt.timezone.utc) > dt.datetime.now(dt.timezone.utc):
                    when -= dt.timedelta(days=1)
                fact, words = FACTS[code]
                c = concerns.record_concern(
                    s, staff, sc_id, occurred_at=when, pupil_ids=[pid], fact=fact.format(n="the pupil"),
                    child_words=words, location=rng.choice(LOCATIONS), category_ids=[cats[code]],
                    opinion="I am worried this is a pattern." if rng.random() < 0.3 else "",
                    recorded_at=when + dt.timedelta(minutes=rng.randrange(5, 90)),
                    body_map=[{"view": "front", "region": rng.choice(("left_upper_arm",
                                                                     "right_upper_arm")),
                               "note": "Bruise, fingertip size", "x": 80, "y": 27}]
                    if code == "physical_abuse" else None)
                if rng.random() < 0.75:
                    t0 = when + dt.timedelta(hours=rng.randrange(1, 30))
                    concerns.add_entry(s, dsl, sc_id, c.id, "triage",
                                       risk_level=rng.choice(("low", "low", "medium", "high")),
                                       category_id=cats[code], created_at=t0)
                    roll = rng.random()
                    if roll < 0.3:
                        concerns.add_entry(s, dsl, sc_id, c.id, "action",
                                           body="Speak to parent at pick-up and record the conversation.",
                                           due_date=(t0 + dt.timedelta(days=rng.randrange(3, 40))).date(),
                                           owner_id=staff.user_id if rng.random() < 0.5 else None,
                                           created_at=t0 + dt.timedelta(minutes=5))
                    elif roll < 0.45:
                        ref = concerns.add_entry(s, dsl, sc_id, c.id, "referral",
                                                 referral_to=rng.choice(("early_help", "childrens_social_care")),
                                                 body="Threshold met for a referral; parents informed.",
                                                 created_at=t0 + dt.timedelta(minutes=20))
                        if rng.random() < 0.5:
                            concerns.add_entry(s, dsl, sc_id, c.id, "outcome", refers_to_id=ref.id,
                                               body="Accepted: assessment under way.",
                                               created_at=t0 + dt.timedelta(days=3))
                    elif roll < 0.8:
                        concerns.add_entry(s, dsl, sc_id, c.id, "closure",
                                           body="Monitored; no further concern. Pastoral support in place.",
                                           created_at=t0 + dt.timedelta(days=2))
        progress("plugin demo data")
        current_host().call_global("mat_demo_data", session=s, trust_id=trust.id,
                                   school_ids=school_ids, seed=seed)
        progress("converging signals")
        from core.signals.demo import seed_case

        seed_case(s, trust.id, school_ids, {sid: actor_for(s, _user_id(s, "staff", sid))
                                            for sid in school_ids}, today)
        result = DemoResult(trust.id, school_ids, made)
    if exports_to is not None:
        from core.mis.demo import write_demo_exports

        write_demo_exports(db, school_ids, exports_to)
    return result


def _sibling_links(s: Session, all_pupils: list[tuple[int, int, str]],
                   rng: random.Random) -> None:
    """Siblings by shared surname, mostly across schools (the trust lead's view of families
    whose children attend several schools)."""
    by_name: dict[str, list[tuple[int, int, str]]] = {}
    for row in all_pupils:
        by_name.setdefault(row[2], []).append(row)
    links = 0
    for rows in by_name.values():
        rng.shuffle(rows)
        for a, b in zip(rows[::7], rows[1::7]):
            if a[1] != b[1] or links % 3 == 0:
                pupils.link_family(s, None, a[0], b[0], "sibling")
                links += 1


DEMO_ADDRESS = "14 Larch Close, Leeds LS6 2AB"


def _family_and_contacts(s: Session, school_ids: list[int],
                         all_pupils: list[tuple[int, int, str]]) -> None:
    """One family to show on a pupil page: a child of the first school on a child protection
    plan with a social worker and a school nurse, a half-sibling at the secondary school
    (linked by the DSL), and a child at the second school at the same address, written
    differently, left as a suggested link for the DSL to confirm or dismiss."""
    from core import contacts, families
    from core.models import Pupil

    first, second, secondary = ([p for p, sid, _ in all_pupils if sid == sc]
                                for sc in school_ids[:3])
    child, cousin, sibling = s.get(Pupil, first[0]), s.get(Pupil, second[0]), \
        s.get(Pupil, secondary[0])
    child.address, sibling.address = DEMO_ADDRESS, DEMO_ADDRESS
    cousin.address = "14, larch close  LEEDS ls62ab"
    sibling.last_name = child.last_name
    s.flush()
    dsl = actor_for(s, _user_id(s, "dsl", child.school_id), mfa=True)
    pupils.set_flag(s, None, child.school_id, child.id, "cp_plan",
                    london_today() - dt.timedelta(days=120), "Initial child protection conference")
    if not any(m["pupil_id"] == sibling.id for m in families.family(s, dsl, child.school_id,
                                                                     child.id)):
        families.add_link(s, dsl, child.school_id, child.id, sibling.id, "half_sibling")
    contacts.add_contact(s, dsl, child.school_id, child.id, role="social_worker",
                         name="Jo Bell", organisation="Leeds Children's Social Care",
                         phone="0113 496 0000", email="jo.bell@example.org",
                         notes="Lead professional for the child protection plan; core group "
                               "every six weeks.",
                         start_date=london_today() - dt.timedelta(days=120))
    contacts.add_contact(s, dsl, child.school_id, child.id, role="school_nurse",
                         name="Priya Shah", organisation="0-19 Public Health Nursing",
                         phone="0113 496 0123", start_date=london_today() - dt.timedelta(days=60))


def _user_id(s: Session, role: str, school_id: int) -> int:
    from core.models import Membership

    return s.scalar(select(Membership.user_id).where(Membership.role == role,
                                                     Membership.school_id == school_id))
