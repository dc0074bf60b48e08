"""Case studies: the de-identified draft (names to roles, dates relative, UPNs, addresses and
phone numbers gone, wherever in the file they were written), versions kept, the lead's review
before export, audit, and who may do any of it."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from tests.trust_lead.documents import pdf_streams, pdf_text

import core
from core import accounts, case_study, concerns, contacts, pupils
from core.board_documents import case_study_pdf
from core.calendar import LONDON
from core.errors import AppendOnlyViolation, NotFound, ValidationError
from core.models import AuditEntry, CaseStudyVersion
from core.upn import make_upn

# every word the platform itself may write into a draft (its templates, titles and labels):
# a generated name that is one of them could not be told apart from the platform's own text
CORE_DIR = Path(core.__file__).parent
PLATFORM_WORDS = {w for path in [*CORE_DIR.glob("*.py"), *CORE_DIR.glob("models/*.py")]
                  for w in re.findall(r"[a-z]+", path.read_text(encoding="utf-8").lower())}
NAME = st.from_regex(r"[A-Z][a-z]{3,9}", fullmatch=True).filter(
    lambda n: n.lower() not in PLATFORM_WORDS)
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "{d} %B %Y", "%B {d}, %Y", "{d}th %b %Y")
FILLER = st.sampled_from(["", "Said that ", "Told staff: ", "(", "Earlier, ", "Note - "])
AFTER = st.sampled_from(["", ".", " was upset.", "'s coat was wet", ")", ", again"])


def _fmt(day: dt.date, fmt: str) -> str:
    return day.strftime(fmt.replace("{d}", str(day.day)))


@pytest.fixture
def school_world(session, make_trust, make_school, make_user):
    trust = make_trust()
    school = make_school(trust, name="Hawthorn Juniors")
    other = make_school(trust, name="Larch High")
    _, lead = make_user("trust_lead", trust=trust)
    _, dsl = make_user("dsl", school)
    return dict(trust=trust, school=school, other=other, lead=lead, dsl=dsl)


_serial = iter(range(500, 100_000))


def _seeded_file(session, make_pupil, w, names: dict, day: dt.date, fmt: str,
                 before: str, after: str):
    """A pupil whose file names the child, a sibling at another school, a member of staff,
    a social worker, the UPN, the address and a phone number, each somewhere in the text."""
    school = w["school"]
    upn = make_upn("380", "4000", 2015, next(_serial))
    child = make_pupil(school, first_name=names["child_first"], last_name=names["child_last"],
                       upn=upn, address=f"14 {names['street']} Road, Leeds LS6 2AB")
    sib_upn = make_upn("380", "4000", 2014, next(_serial))
    sibling = make_pupil(w["other"], first_name=names["sibling"],
                         last_name=names["child_last"], upn=sib_upn)
    pupils.link_family(session, None, child.id, sibling.id, "sibling")
    staff = accounts.create_user(session, f"s{next(_serial)}@example.org",
                                 f"{names['staff_first']} {names['staff_last']}", None)
    accounts.grant_role(session, staff.id, "staff", school_id=school.id)
    contacts.add_contact(session, w["dsl"], school.id, child.id, role="social_worker",
                         name=f"{names['worker']} {names['staff_last']}x",
                         phone="0113 496 0123", start_date=dt.date(2026, 1, 5))
    when = _fmt(day, fmt)
    fact = (f"{before}{names['child_first']}{after} {before}{names['sibling']}{after} "
            f"told {names['staff_first']} {names['staff_last']} on {when}; "
            f"{names['worker'].upper()} called from 0113 496 0123. UPN {upn}, "
            f"sibling {sib_upn}, lives at 14 {names['street']} Road.")
    c = concerns.record_concern(
        session, None, school.id, occurred_at=dt.datetime(2026, 10, 5, 9, tzinfo=LONDON),
        pupil_ids=[child.id], fact=fact,
        child_words=f"{names['child_last'].lower()} family, {names['staff_last']} knows")
    concerns.add_entry(session, w["dsl"], school.id, c.id, "note",
                       body=f"Spoke to {names['child_first']} {names['child_last']} and "
                            f"{names['worker']} on {when}.")
    return child, [names[k] for k in names] + [upn, sib_upn, "0113 496 0123",
                                               f"14 {names['street']} Road", "LS6 2AB", when]


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(names=st.fixed_dictionaries({k: NAME for k in (
    "child_first", "child_last", "sibling", "staff_first", "staff_last", "worker", "street")}),
       day=st.dates(dt.date(2019, 1, 1), dt.date(2030, 12, 31)),
       fmt=st.sampled_from(DATE_FORMATS), before=FILLER, after=AFTER)
def test_names_upns_and_dates_anywhere_in_the_file_never_reach_the_draft(
        session, make_pupil, school_world, names, day, fmt, before, after):
    w = school_world
    child, secrets_ = _seeded_file(session, make_pupil, w, names, day, fmt, before, after)
    study = case_study.create(session, w["lead"], w["school"].id, child.id)
    draft = case_study.get(session, w["lead"], study.id).latest.sections
    text = "\n".join(draft.values())
    for secret in secrets_:
        pattern = r"(?<![\w])" + re.escape(secret) + r"(?![\w])"
        assert not re.search(pattern, text, re.IGNORECASE), (secret, text)
    assert not re.search(r"(?<!\d)(?:19|20)\d\d(?!\d)", text), text  # no year at all
    assert "the child" in text and "day " in text


def test_the_draft_follows_the_template_with_relative_days(session, make_pupil,
                                                           school_world):
    w = school_world
    child = make_pupil(w["school"], first_name="Mirela", last_name="Okonkwo-Hale")
    for day in (dt.date(2026, 10, 5), dt.date(2026, 10, 19)):
        concerns.record_concern(session, None, w["school"].id,
                                occurred_at=dt.datetime.combine(day, dt.time(9), LONDON),
                                pupil_ids=[child.id], fact="Mirela was hungry.")
    study = case_study.create(session, w["lead"], w["school"].id, child.id, "Hunger at school")
    view = case_study.get(session, w["lead"], study.id)
    assert list(view.latest.sections) == list(case_study.SECTIONS)
    assert (view.latest.version, view.latest.reviewed, view.exportable) == (1, False, False)
    events = view.latest.sections["key_events"]
    # day 1 is the first concern (5 October 2026); joining on 1 September 2025 came before
    assert "Day 1 (week 1): [Concern]" in events and "Day 15 (week 3): [Concern]" in events
    assert "About 13 months before day 1: [Roll] Joined the school" in events
    assert "the child was hungry." in events
    assert "Mirela" not in events and "Okonkwo" not in events
    actions = [a.action for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-3:] == ["chronology.read", "case_study.drafted", "case_study.read"]


def test_review_then_export_and_nothing_leaves_before(session, make_pupil, school_world):
    w = school_world
    child = make_pupil(w["school"], first_name="Tobiah", last_name="Grenville",
                       upn=make_upn("380", "4000", 2015, 42))
    concerns.record_concern(session, None, w["school"].id,
                            occurred_at=dt.datetime(2026, 10, 5, 9, tzinfo=LONDON),
                            pupil_ids=[child.id], fact="Tobiah said he was scared.")
    study = case_study.create(session, w["lead"], w["school"].id, child.id)
    with pytest.raises(ValidationError) as caught:
        case_study.export(session, w["lead"], study.id)
    assert "reviewed" in caught.value.errors
    sections = dict(case_study.get(session, w["lead"], study.id).latest.sections)
    sections["went_well"] = "Staff noticed quickly and told Tobiah's teacher."
    with pytest.raises(ValidationError) as caught:  # the lead typed the name back in
        case_study.save(session, w["lead"], study.id, sections, reviewed=True)
    assert list(caught.value.errors) == ["went_well"]
    assert "Tobiah" in caught.value.errors["went_well"][0]
    sections["went_well"] = "Staff noticed quickly and told the class teacher on 05/10/2026."
    with pytest.raises(ValidationError) as caught:
        case_study.save(session, w["lead"], study.id, sections, reviewed=True)
    assert "a date" in caught.value.errors["went_well"][0]
    case_study.save(session, w["lead"], study.id, sections, reviewed=False)  # kept, unreviewed
    sections["went_well"] = "Staff noticed quickly and told the class teacher."
    v3 = case_study.save(session, w["lead"], study.id, sections, reviewed=True)
    _, exported = case_study.export(session, w["lead"], study.id)
    assert (exported.id, exported.version) == (v3.id, 3)
    pdf = case_study_pdf("Fear at home", exported, case_study.SECTIONS, "Lee Lead")
    assert "Staff noticed quickly and told the class teacher." in pdf_text(pdf)
    everything = pdf_streams(pdf)
    for secret in ("Tobiah", "Grenville", child.upn):
        assert secret not in everything
    # a later unreviewed save closes export again
    case_study.save(session, w["lead"], study.id, sections, reviewed=False)
    with pytest.raises(ValidationError):
        case_study.export(session, w["lead"], study.id)
    versions = session.scalars(select(CaseStudyVersion).where(
        CaseStudyVersion.case_study_id == study.id).order_by(CaseStudyVersion.version)).all()
    assert [(v.version, v.reviewed) for v in versions] == [(1, False), (2, False), (3, True),
                                                          (4, False)]
    exports = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "case_study.exported")).all()
    assert [e.detail["version"] for e in exports] == [3]


def test_versions_are_append_only(session, make_pupil, school_world):
    w = school_world
    child = make_pupil(w["school"])
    study = case_study.create(session, w["lead"], w["school"].id, child.id)
    v1 = case_study.get(session, w["lead"], study.id).latest
    v1.sections = {**v1.sections, "background": "rewritten"}
    with pytest.raises(AppendOnlyViolation):
        session.flush()
    session.rollback()


def test_only_the_trust_lead_drafts_reads_or_exports(session, make_pupil, school_world,
                                                     make_user, make_trust):
    w = school_world
    child = make_pupil(w["school"])
    study = case_study.create(session, w["lead"], w["school"].id, child.id)
    _, admin = make_user("trust_admin", trust=w["trust"])
    _, no_mfa = make_user("trust_lead", trust=w["trust"], mfa=False)
    _, elsewhere = make_user("trust_lead", trust=make_trust())
    for actor in (w["dsl"], admin, no_mfa, elsewhere):
        with pytest.raises(NotFound):
            case_study.create(session, actor, w["school"].id, child.id)
        with pytest.raises(NotFound):
            case_study.get(session, actor, study.id)
        with pytest.raises(NotFound):
            case_study.export(session, actor, study.id)
    assert case_study.list_studies(session, w["lead"], w["trust"].id)[0][0].id == study.id


def test_removal_patterns_catch_contact_details():
    from core.deidentify import Redactor

    r = Redactor(dt.date(2026, 10, 1))
    out = r("Ring 07700 900123 or +44 113 496 0000, mail jo.bloggs@example.org, "
            "postcode ls6 2ab, UPN a380400015123, on Monday 5th October 2026 and 6 Oct too.")
    assert out == ("Ring [number removed] or [number removed], mail [email removed], "
                   "postcode [postcode removed], UPN [UPN removed], on day 5 (week 1) and "
                   "day 6 (week 1) too.")


def test_parents_and_carers_from_the_mis_become_their_relationship(session, make_pupil,
                                                                   school_world):
    from core.models import PupilCarer

    w = school_world
    child = make_pupil(w["school"], first_name="Ottilie", last_name="Pemberton")
    session.add(PupilCarer(school_id=w["school"].id, pupil_id=child.id, title="Mrs",
                           first_name="Marguerite", last_name="Falconbridge",
                           relationship="Mother", phone="07700 900456",
                           start_date=dt.date(2025, 9, 1)))
    session.flush()
    concerns.record_concern(
        session, None, w["school"].id, occurred_at=dt.datetime(2026, 10, 5, 9, tzinfo=LONDON),
        pupil_ids=[child.id], fact="Mrs Falconbridge rang from 07700900456; Marguerite was upset.")
    study = case_study.create(session, w["lead"], w["school"].id, child.id)
    events = case_study.get(session, w["lead"], study.id).latest.sections["key_events"]
    assert "the child's mother rang from" in events
    for secret in ("Falconbridge", "Marguerite", "07700", "900456"):
        assert secret not in events
