"""Suggested family links from the MIS's parents and carers and the pupils' addresses: found
within a school and across the trust's schools, never linked without the right confirmations,
each DSL seeing only their own pupil, dismissals that hold until the evidence changes, and a
computation that changes nothing when run again."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core import family_suggestions as fs
from core.errors import NotFound, ValidationError
from core.scheduler import recurring_jobs
from core.family_matching import Carer, contact_pairs, email_key, name_key, phone_key
from core.models import AuditEntry, FamilyLink, FamilySuggestionDismissal, MailMessage
from core.models.family_suggestions import FamilySuggestion, FamilySuggestionDecision
from core.models.mis import PupilCarer

TODAY = dt.date(2026, 11, 2)


def _carer(session, pupil, first="Zoë", last="O'Brien", title="Mrs", pr=True, phone="",
           email="", end_date=None):
    row = PupilCarer(school_id=pupil.school_id, trust_id=pupil.trust_id, pupil_id=pupil.id,
                     title=title, first_name=first, last_name=last, relationship="Mother",
                     parental_responsibility=pr, phone=phone, email=email,
                     start_date=dt.date(2025, 9, 1), end_date=end_date)
    session.add(row)
    session.flush()
    return row


def _two_schools(make_trust, make_school):
    trust = make_trust()
    return trust, make_school(trust, name="Northfield Primary"), \
        make_school(trust, name="Riverside Secondary")


def _open(session):
    return session.scalars(select(FamilySuggestion).where(FamilySuggestion.status == "open")
                           .order_by(FamilySuggestion.id)).all()


def _audited(session, action):
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_a_shared_parent_in_one_school_is_suggested_and_one_dsl_confirms(
        session, make_trust, make_school, make_pupil, make_user):
    trust, a, _ = _two_schools(make_trust, make_school)
    kai, lena = make_pupil(a, first_name="Kai"), make_pupil(a, first_name="Lena")
    stranger = make_pupil(a, first_name="Sam")
    _carer(session, kai, phone="07700 900123")
    _carer(session, lena, title="", first="Zoe", last="OBrien",
           phone="+44 (0)7700-900123")
    _carer(session, stranger, phone="07700 900999")  # same name, another phone: not her
    summary = fs.suggest_family_links(session, trust.id, today=TODAY)
    assert (summary.created, summary.unchanged) == (1, 0)
    [row] = _open(session)
    assert {row.pupil_id, row.related_pupil_id} == {kai.id, lena.id}
    assert session.scalar(select(FamilyLink.id)) is None  # never automatic

    _, dsl = make_user("dsl", a)
    [shown] = fs.for_school(session, dsl, a.id)
    assert {p["name"] for p in shown["pupils"]} == {"Kai Test", "Lena Test"}
    assert shown["other_school"] is None
    assert shown["evidence"] == ["Shares a parent or carer with parental responsibility: "
                                 "Mrs Zoë O'Brien / Zoe OBrien (same phone number)"]
    fs.confirm(session, dsl, row.id, "sibling", "Same mother on the MIS", school_id=a.id)
    link = session.scalar(select(FamilyLink))
    assert (link.pupil_id, link.related_pupil_id, link.relation) == \
        (row.pupil_id, row.related_pupil_id, "sibling")
    assert row.status == "linked" and row.link_id == link.id
    assert _audited(session, "family.linked")[-1].detail["suggestion_id"] == row.id
    assert fs.for_school(session, dsl, a.id) == []


def test_across_schools_each_dsl_sees_only_their_own_child_and_both_must_confirm(
        session, make_trust, make_school, make_pupil, make_user):
    trust, a, b = _two_schools(make_trust, make_school)
    kai = make_pupil(a, first_name="Kai", address="14 Larch Close, Leeds LS6 2AB")
    maja = make_pupil(b, first_name="Maja", last_name="Secret", year_group=9,
                      address="14, larch close  LEEDS ls62ab")
    fs.suggest_family_links(session, trust.id, today=TODAY)
    [row] = _open(session)
    dsl_user_b, dsl_b = make_user("dsl", b)
    _, dsl_a = make_user("dsl", a)
    [seen_a] = fs.for_school(session, dsl_a, a.id)
    assert seen_a["pupils"] == [{"id": kai.id, "name": "Kai Test", "year": "Year 5"}]
    assert seen_a["other_school"]["name"] == "Riverside Secondary"
    assert seen_a["other_school"]["dsls"] == [{"name": dsl_user_b.name,
                                               "email": dsl_user_b.email, "role": "DSL"}]
    assert "Maja" not in repr(seen_a) and "Secret" not in repr(seen_a)
    assert seen_a["evidence"] == ["Lives at the same address"]

    fs.confirm(session, dsl_a, row.id, "sibling", school_id=a.id)
    assert row.status == "open" and session.scalar(select(FamilyLink.id)) is None
    [mail] = session.scalars(select(MailMessage).where(MailMessage.to == dsl_user_b.email))
    assert "Northfield Primary" in mail.body and "Riverside Secondary" in mail.body
    assert "Kai" not in mail.body + mail.subject and "Maja" not in mail.body
    [waiting] = fs.for_school(session, dsl_a, a.id)
    assert waiting["confirmed_here"] is True
    assert "Riverside Secondary" in waiting["waiting_for"]
    _, lead = make_user("trust_lead", trust=trust)
    [at_trust] = fs.for_trust(session, lead, trust.id)
    assert at_trust["confirmed_by"] == ["Northfield Primary"]
    assert [(p["name"], p["school_name"]) for p in at_trust["pupils"]] == [
        ("Kai Test", "Northfield Primary"), ("Maja Secret", "Riverside Secondary")]
    with pytest.raises(ValidationError) as twice:
        fs.confirm(session, dsl_a, row.id, "sibling", school_id=a.id)
    assert "already confirmed" in twice.value.errors["suggestion"][0]
    [seen_b] = fs.for_school(session, dsl_b, b.id)
    assert seen_b["pupils"][0]["name"] == "Maja Secret" and "Kai" not in repr(seen_b)
    fs.confirm(session, dsl_b, row.id, "half_sibling", school_id=b.id)
    assert row.status == "linked"
    assert session.scalar(select(FamilyLink.relation)) == "half_sibling"
    decisions = session.scalars(select(FamilySuggestionDecision.for_school_id)).all()
    assert sorted(decisions) == sorted([a.id, b.id])


def test_who_may_not_decide_or_see_a_suggestion_gets_not_found(
        session, make_trust, make_school, make_pupil, make_user):
    trust, a, b = _two_schools(make_trust, make_school)
    c = make_school(trust, name="Third School")
    kai = make_pupil(a, address="3 Elm Street, York YO1 7HH")
    make_pupil(b, address="3 elm street york yo17hh")
    fs.suggest_family_links(session, trust.id, today=TODAY)
    [row] = _open(session)
    _, dsl_c = make_user("dsl", c)
    _, admin_a = make_user("school_admin", a)
    _, staff_a = make_user("staff", a)
    other_trust = make_trust()
    _, other_lead = make_user("trust_lead", trust=other_trust)
    _, dsl_a_no_mfa = make_user("dsl", a, mfa=False)
    assert fs.for_school(session, dsl_c, c.id) == []
    with pytest.raises(NotFound):  # a DSL of a third school cannot reach it through theirs
        fs.confirm(session, dsl_c, row.id, "sibling", school_id=c.id)
    with pytest.raises(NotFound):
        fs.dismiss(session, dsl_c, row.id, "not family", school_id=c.id)
    for actor in (admin_a, staff_a, dsl_a_no_mfa):
        with pytest.raises(NotFound):
            fs.for_school(session, actor, a.id)
        with pytest.raises(NotFound):
            fs.confirm(session, actor, row.id, "sibling", school_id=a.id)
    with pytest.raises(NotFound):
        fs.for_trust(session, other_lead, trust.id)
    _, lead_no_mfa = make_user("trust_lead", trust=trust, mfa=False)
    with pytest.raises(NotFound):  # both children's names need the second factor
        fs.for_trust(session, lead_no_mfa, trust.id)
    with pytest.raises(NotFound):
        fs.confirm(session, lead_no_mfa, row.id, "sibling", trust_id=trust.id)
    with pytest.raises(NotFound):  # the suggestion is of another trust
        fs.confirm(session, other_lead, row.id, "sibling", trust_id=other_trust.id)
    with pytest.raises(NotFound):
        fs.dismiss(session, other_lead, row.id, "not family", trust_id=trust.id)
    assert row.status == "open" and kai.id in (row.pupil_id, row.related_pupil_id)


def test_the_trust_lead_sees_both_children_and_confirms_alone(
        session, make_trust, make_school, make_pupil, make_user):
    trust, a, b = _two_schools(make_trust, make_school)
    kai = make_pupil(a, first_name="Kai")
    maja = make_pupil(b, first_name="Maja")
    _carer(session, kai, email="Zoe.OBrien@example.org ")
    _carer(session, maja, title="Ms", email="zoe.obrien@EXAMPLE.org")
    fs.suggest_family_links(session, trust.id, today=TODAY)
    _, lead = make_user("trust_lead", trust=trust)
    [shown] = fs.for_trust(session, lead, trust.id)
    assert [(p["name"], p["school_name"]) for p in shown["pupils"]] == [
        ("Kai Test", "Northfield Primary"), ("Maja Test", "Riverside Secondary")]
    assert "same email address" in shown["evidence"][0]
    row = fs.confirm(session, lead, shown["id"], "sibling", "Checked with both DSLs",
                     trust_id=trust.id)
    assert row.status == "linked"
    decision = session.scalar(select(FamilySuggestionDecision))
    assert (decision.for_school_id, decision.reason) == (None, "Checked with both DSLs")


def test_a_dismissal_needs_a_reason_and_holds_until_the_evidence_changes(
        session, make_trust, make_school, make_pupil, make_user):
    trust, a, b = _two_schools(make_trust, make_school)
    kai = make_pupil(a, address="9 Oak Road, Hull HU1 1AA")
    maja = make_pupil(b, address="9 Oak Road, Hull HU1 1AA")
    fs.suggest_family_links(session, trust.id, today=TODAY)
    [row] = _open(session)
    _, dsl_b = make_user("dsl", b)
    with pytest.raises(ValidationError) as no_reason:
        fs.dismiss(session, dsl_b, row.id, "   ", school_id=b.id)
    assert "reason" in no_reason.value.errors
    fs.dismiss(session, dsl_b, row.id, "Flats: different families at number 9",
               school_id=b.id)
    assert row.status == "dismissed"
    again = fs.suggest_family_links(session, trust.id, today=TODAY)
    assert (again.created, again.reopened, again.unchanged) == (0, 0, 1)
    assert _open(session) == []
    with pytest.raises(ValidationError) as closed:
        fs.confirm(session, dsl_b, row.id, "sibling", school_id=b.id)
    assert closed.value.errors["suggestion"] == ["was already dismissed"]
    # new evidence: the same mother with parental responsibility on both records
    _carer(session, kai, phone="01482 300300")
    _carer(session, maja, phone="01482300300")
    back = fs.suggest_family_links(session, trust.id, today=TODAY)
    assert back.reopened == 1 and [r.id for r in _open(session)] == [row.id]
    audit = _audited(session, "family.suggestion_dismissed")[-1]
    assert audit.detail["reason"] == "Flats: different families at number 9"


def test_running_twice_changes_nothing_and_lost_evidence_lapses(
        session, make_trust, make_school, make_pupil):
    trust, a, b = _two_schools(make_trust, make_school)
    kai, lena = make_pupil(a), make_pupil(b)
    carer = _carer(session, kai, phone="0113 496 0000")
    _carer(session, lena, phone="01134960000")
    _carer(session, make_pupil(a), pr=False, phone="0113 496 0000")  # no parental resp.
    first = fs.suggest_family_links(session, trust.id, today=TODAY)
    evidence_before = [(r.id, r.evidence_key) for r in _open(session)]
    second = fs.suggest_family_links(session, trust.id, today=TODAY)
    assert first.created == 1 and second.as_dict() == {
        "created": 0, "reopened": 0, "updated": 0, "lapsed": 0, "unchanged": 1}
    assert [(r.id, r.evidence_key) for r in _open(session)] == evidence_before
    carer.end_date = dt.date(2026, 10, 1)  # the MIS no longer lists her for Kai
    assert fs.suggest_family_links(session, trust.id, today=TODAY).lapsed == 1
    assert _open(session) == []


def test_only_pairs_touching_the_named_schools_are_touched(
        session, make_trust, make_school, make_pupil):
    trust, a, b = _two_schools(make_trust, make_school)
    c = make_school(trust)
    make_pupil(b, address="1 High St, Ely CB7 4AA")
    make_pupil(c, address="1 High St, Ely CB7 4AA")
    kai = make_pupil(a, address="2 Low St, Ely CB7 4AB")
    make_pupil(c, address="2 Low St, Ely CB7 4AB")
    summary = fs.suggest_family_links(session, trust.id, [a.id], today=TODAY)
    assert summary.created == 1
    [row] = _open(session)
    assert kai.id in (row.pupil_id, row.related_pupil_id)


def test_linked_pairs_legacy_dismissals_and_crowded_addresses_are_not_suggested(
        session, make_trust, make_school, make_pupil, make_user):
    trust, a, b = _two_schools(make_trust, make_school)
    kai = make_pupil(a, address="5 Ash Lane, Leeds LS1 1AA")
    lena = make_pupil(a, address="5 Ash Lane, Leeds LS1 1AA")
    maja = make_pupil(b, address="6 Ash Lane, Leeds LS1 1AA")
    ola = make_pupil(b, address="6 Ash Lane, Leeds LS1 1AA")
    for _ in range(9):  # a children's home: more than MAX_SHARED pupils at one address
        make_pupil(b, address="The Lodge, Leeds LS2 2BB")
    session.add(FamilyLink(trust_id=trust.id, pupil_id=min(kai.id, lena.id),
                           related_pupil_id=max(kai.id, lena.id), relation="sibling"))
    session.add(FamilySuggestionDismissal(trust_id=trust.id, pupil_id=min(maja.id, ola.id),
                                          related_pupil_id=max(maja.id, ola.id)))
    session.flush()
    assert fs.suggest_family_links(session, trust.id, today=TODAY).created == 0


# --- normalisation -----------------------------------------------------------------------------

def test_names_phones_and_emails_normalise_as_documented():
    assert name_key("Mrs Zoë O’Brien") == name_key("obrien,  ZOE") == "obrien zoe"
    assert name_key("J Smith") != name_key("Jane Smith")
    assert name_key("Mr") == ""
    assert phone_key("+44 (0)113 496 0000") == phone_key("0044 113 4960000") == "01134960000"
    assert phone_key("0113 496 0000 ext 25") == "01134960000"
    assert phone_key("496 0000") is None
    assert email_key(" Zoe@Example.ORG ") == "zoe@example.org"
    assert email_key("zoe@") is None and email_key("a@b@c") is None


def test_the_mis_contact_id_identifies_a_person_within_one_school_only():
    carers = [Carer.of(1, 10, "Zoe Brown", mis_contact_id="C7"),
              Carer.of(2, 10, "Mrs Zoe Brown", mis_contact_id="C7"),   # same school, same id
              Carer.of(3, 20, "Zoe Brown", mis_contact_id="C7"),       # another school's MIS
              Carer.of(4, 10, "Zoe Brown", mis_contact_id="C8")]       # another person
    pairs = contact_pairs(carers)
    assert list(pairs) == [(1, 2)]
    assert pairs[(1, 2)][0]["via"] == "MIS contact id"
    # a phone shared by more than MAX_SHARED children is an office line, not a parent's
    office = [Carer.of(n, 10, "Pat Lee", phone="01632 960000") for n in range(1, 11)]
    assert contact_pairs(office) == {}


LETTERS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéöåøÆ'", min_size=1, max_size=12)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=LETTERS, last=LETTERS, title=st.sampled_from(["", "Mr", "MRS", "dr", "Ms."]),
       swap=st.booleans(), spaces=st.integers(1, 3))
def test_a_name_written_differently_keeps_its_key(first, last, title, swap, spaces):
    plain = name_key(first, last)
    written = f"{last.upper()},{' ' * spaces}{first.title()}" if swap else \
        f"{title} {first.upper()}{' ' * spaces}{last}"
    assert name_key(written) == plain


@settings(max_examples=150)
@given(digits=st.builds(str.__add__, st.sampled_from("123456789"),
                       st.text(alphabet="0123456789", min_size=8, max_size=9)),
       style=st.sampled_from(["national", "plus", "plus0", "double0"]),
       sep=st.sampled_from(["", " ", "-", "  "]), cut=st.integers(2, 6))
def test_a_uk_number_written_any_usual_way_keeps_its_key(digits, style, sep, cut):
    national = "0" + digits
    rest = digits[:cut] + sep + digits[cut:]
    written = {"national": "0" + rest, "plus": "+44 " + rest, "plus0": "+44 (0)" + rest,
               "double0": "0044" + sep + rest}[style]
    assert phone_key(written) == national


def test_the_nightly_core_job_suggests_for_one_school_against_the_trust(
        db, session, make_trust, make_school, make_pupil, host):
    trust, a, b = _two_schools(make_trust, make_school)
    make_pupil(a, address="4 Quay St, Whitby YO21 3PU")
    make_pupil(b, address="4 quay st whitby yo213pu")
    session.commit()
    [job] = [j for j in recurring_jobs() if j.name == "family_suggestions"]
    assert (job.plugin, job.func, job.cron) == ("core", fs.run_for_school, "30 2 * * *")
    assert fs.run_for_school(b.id)["created"] == 1
    assert fs.run_for_school(a.id) == {"created": 0, "reopened": 0, "updated": 0,
                                       "lapsed": 0, "unchanged": 1}
    assert fs.run_for_school(10**6) == {"skipped": "no such school"}
