"""Who needs which course, the compliance matrix, the school's figure and who blocks it, and
editing the trust's rules."""
from __future__ import annotations

import datetime as dt

import pytest

from core.errors import NotFound, ValidationError
from plugins.training import service
from plugins.training.service import build_matrix, dsl_in_date, person_courses, school_metrics

from .training_constants import TODAY

D = dt.date


def _needed(matrix, person):
    row = next(r for r in matrix.rows if r.person.id == person.id)
    return {c.code: row.cells[c.id].status for c in matrix.courses if row.cells[c.id]}


def test_role_rules_by_job_dsl_role_and_recruiting(session, make_school, make_person, courses):
    school = make_school()
    midday = make_person(school, "midday_supervisor")
    governor = make_person(school, "governor")
    teacher = make_person(school, "teacher")
    dsl = make_person(school, "headteacher", safeguarding_role="dsl", recruits=True)
    m = build_matrix(session, school.id, TODAY)
    assert set(_needed(m, midday)) == {"induction", "annual_update"}
    assert set(_needed(m, governor)) == {"induction", "annual_update"}
    assert set(_needed(m, teacher)) == {"induction", "annual_update", "prevent", "online_safety"}
    assert set(_needed(m, dsl)) == {"induction", "annual_update", "prevent", "online_safety",
                                    "dsl_training", "safer_recruitment"}
    # nobody needs the refresher itself, so it is not a column
    assert "dsl_refresher" not in {c.code for c in m.courses}


def test_an_induction_counts_as_this_years_update_and_a_refresher_as_dsl_training(
        session, make_school, make_person, courses, add_done):
    school = make_school()
    c = courses(school.trust_id)
    newcomer = make_person(school, "midday_supervisor")
    add_done(newcomer, c["induction"], D(2026, 9, 1))
    dsl = make_person(school, "teacher", safeguarding_role="dsl")
    add_done(dsl, c["dsl_training"], D(2023, 1, 10))
    add_done(dsl, c["dsl_refresher"], D(2025, 1, 10))
    m = build_matrix(session, school.id, TODAY)
    assert _needed(m, newcomer) == {"induction": "compliant", "annual_update": "compliant"}
    assert _needed(m, dsl)["dsl_training"] == "compliant"
    row = dict((co.code, st) for co, st, _ in person_courses(session, school.id, dsl, TODAY))
    assert row["dsl_training"].due_on == D(2027, 1, 10)


def test_compliance_percentage_counts_and_blockers(session, make_school, make_person, courses,
                                                    add_done):
    school = make_school()
    c = courses(school.trust_id)
    ok = make_person(school, "midday_supervisor", name="Ann Okay")
    due = make_person(school, "midday_supervisor", name="Bob Due")
    expired = make_person(school, "midday_supervisor", name="Cat Expired")
    missing = make_person(school, "midday_supervisor", name="Dan Missing")
    for p in (ok, due, expired):
        add_done(p, c["induction"], D(2020, 9, 1))
    add_done(ok, c["annual_update"], D(2026, 9, 1))
    add_done(due, c["annual_update"], D(2025, 12, 10))       # due 10 Dec 2026: within 30 days
    add_done(expired, c["annual_update"], D(2025, 11, 23))   # due 23 Nov 2026: expired on 24th
    left = make_person(school, "teacher", name="Eve Left", left_on=D(2026, 7, 22))
    m = build_matrix(session, school.id, TODAY)
    assert [r.person.name for r in m.rows] == ["Ann Okay", "Bob Due", "Cat Expired",
                                               "Dan Missing"]
    assert left.id not in {r.person.id for r in m.rows}
    assert m.compliance_pct == 50.0  # Ann and Bob (due soon is still in date)
    assert [r.person.name for r in m.blockers] == ["Cat Expired", "Dan Missing"]
    # inductions of Ann, Bob and Cat plus Ann's update; Dan has nothing at all
    assert m.counts == {"compliant": 4, "due": 1, "expired": 1, "missing": 2}
    metrics = {x.key: x.value for x in school_metrics(session, school.id, D(2026, 9, 1), TODAY)}
    assert metrics == {"compliance_pct": 50.0, "dsl_in_date": 0, "expiring_30": 1}


def test_dsl_in_date_needs_a_dsl_and_every_deputy_in_date(session, make_school, make_person,
                                                          courses, add_done):
    school = make_school()
    c = courses(school.trust_id)
    assert dsl_in_date(build_matrix(session, school.id, TODAY)) is False  # no DSL at all
    dsl = make_person(school, "teacher", safeguarding_role="dsl")
    add_done(dsl, c["dsl_training"], D(2024, 11, 24))   # due 24 Nov 2026: today, still in date
    assert dsl_in_date(build_matrix(session, school.id, TODAY)) is True
    deputy = make_person(school, "support_staff", safeguarding_role="deputy_dsl")
    assert dsl_in_date(build_matrix(session, school.id, TODAY)) is False
    add_done(deputy, c["dsl_training"], D(2024, 11, 23))  # due 23 Nov 2026: expired today
    assert dsl_in_date(build_matrix(session, school.id, TODAY)) is False
    add_done(deputy, c["dsl_refresher"], D(2026, 10, 1))
    assert dsl_in_date(build_matrix(session, school.id, TODAY)) is True
    assert dsl_in_date(build_matrix(session, school.id, D(2026, 11, 25))) is False  # DSL lapses


def test_trust_edits_a_rule_for_every_school(session, make_trust, make_school, make_person,
                                             make_user, courses, add_done):
    trust = make_trust()
    a, b = make_school(trust=trust), make_school(trust=trust)
    c = courses(trust.id)
    pa, pb = make_person(a, "volunteer"), make_person(b, "volunteer")
    for p in (pa, pb):
        add_done(p, c["induction"], D(2026, 1, 5))
        add_done(p, c["annual_update"], D(2025, 6, 1))  # 12 months: expired 1 Jun 2026
    _, lead = make_user("trust_lead", trust=trust)
    service.update_course(session, lead, trust.id, c["annual_update"].id, {
        "label": "Annual safeguarding update", "validity_months": "24",
        "required_for": ["all"], "also_met_by": ["induction"]})
    for school, p in ((a, pa), (b, pb)):
        assert _needed(build_matrix(session, school.id, TODAY), p)["annual_update"] == "compliant"
    own = service.add_course(session, lead, trust.id, "first_aid_mental_health",
                           {"label": "Mental health first aid", "validity_months": "36",
                            "required_for": ["volunteer"], "concern_categories": ["mental_health"]})
    assert _needed(build_matrix(session, a.id, TODAY), pa)[own.code] == "missing"


@pytest.mark.parametrize("data, field", [
    ({"label": "", "validity_months": "12"}, "label"),
    ({"label": "X", "validity_months": "0"}, "validity_months"),
    ({"label": "X", "validity_months": "twelve"}, "validity_months"),
    ({"label": "X", "required_for": ["caretakers"]}, "required_for"),
    ({"label": "X", "also_met_by": ["no_such_course"]}, "also_met_by"),
])
def test_bad_rules_name_the_field(session, make_trust, make_user, courses, data, field):
    trust = make_trust()
    c = courses(trust.id)
    _, lead = make_user("trust_lead", trust=trust)
    with pytest.raises(ValidationError) as exc, session.begin_nested():
        service.update_course(session, lead, trust.id, c["prevent"].id, data)
    assert field in exc.value.errors


def test_only_the_trust_changes_rules(session, make_trust, make_school, make_user, courses):
    trust = make_trust()
    school = make_school(trust=trust)
    c = courses(trust.id)
    for role in ("dsl", "headteacher", "school_admin"):
        _, actor = make_user(role, school=school)
        with pytest.raises(NotFound):
            service.update_course(session, actor, trust.id, c["prevent"].id, {"label": "X"})
    _, other_lead = make_user("trust_lead", trust=make_trust())
    with pytest.raises(NotFound):
        service.update_course(session, other_lead, trust.id, c["prevent"].id, {"label": "X"})


def test_figures_as_at_a_past_date_ignore_training_done_since(session, make_school,
                                                              make_person, courses, add_done):
    school = make_school()
    c = courses(school.trust_id)
    p = make_person(school, "governor")
    add_done(p, c["induction"], D(2025, 9, 1))
    add_done(p, c["annual_update"], D(2026, 10, 1))
    # as at 31 Aug 2026 only the induction counts, and it meets the update until 1 Sep 2026
    # (due within 30 days); on 2 Sep the update has lapsed, until it is done on 1 Oct
    assert _needed(build_matrix(session, school.id, D(2026, 8, 31)), p) == {
        "induction": "compliant", "annual_update": "due"}
    assert _needed(build_matrix(session, school.id, D(2026, 9, 2)), p) == {
        "induction": "compliant", "annual_update": "expired"}
    assert _needed(build_matrix(session, school.id, TODAY), p) == {
        "induction": "compliant", "annual_update": "compliant"}
    early = {x.key: x.value for x in school_metrics(session, school.id, D(2026, 4, 1),
                                                     D(2026, 9, 2))}
    assert early["compliance_pct"] == 0.0
