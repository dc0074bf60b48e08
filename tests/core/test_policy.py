import pytest

from core import concerns, policy
from core.errors import NotFound


@pytest.mark.parametrize("role,may_read", [
    ("staff", False), ("headteacher", False), ("school_admin", False),
    ("dsl", True), ("deputy_dsl", True),
])
def test_only_the_dsl_team_reads_case_files(session, make_school, make_user, make_pupil,
                                            make_concern, role, may_read):
    school = make_school()
    pupil = make_pupil(school)
    _, recorder = make_user("staff", school)
    concern = make_concern(school, [pupil], actor=recorder)
    _, someone = make_user(role, school)
    assert policy.can(someone, "casefile.read", school.id) is may_read
    if may_read:
        assert concerns.get_concern(session, someone, school.id, concern.id).concern.id == concern.id
    else:
        with pytest.raises(NotFound):
            concerns.get_concern(session, someone, school.id, concern.id)


def test_staff_see_their_own_record_but_not_the_dsl_entries(session, make_school, make_user,
                                                            make_pupil, make_concern):
    school = make_school()
    pupil = make_pupil(school)
    _, staff = make_user("staff", school)
    _, dsl = make_user("dsl", school)
    c = make_concern(school, [pupil], actor=staff)
    concerns.add_entry(session, dsl, school.id, c.id, "triage", risk_level="high")
    own = concerns.get_concern(session, staff, school.id, c.id)
    assert own.entries == [] and own.concern.fact == c.fact
    assert [e.kind for e in concerns.get_concern(session, dsl, school.id, c.id).entries] == ["triage"]
    with pytest.raises(NotFound):
        concerns.list_concerns(session, staff, school.id)


def test_case_file_needs_second_factor(make_school, make_user):
    school = make_school()
    _, dsl = make_user("dsl", school, mfa=False)
    assert not policy.can(dsl, "casefile.read", school.id)
    assert dsl.needs_mfa


def test_admins_manage_but_do_not_read(make_trust, make_school, make_user):
    trust = make_trust()
    school = make_school(trust)
    _, tadmin = make_user("trust_admin", trust=trust)
    _, lead = make_user("trust_lead", trust=trust)
    assert policy.can(tadmin, "school.admin", school.id)
    assert not policy.can(tadmin, "casefile.read", school.id)
    assert not policy.can(tadmin, "trust.overview", trust_id=trust.id)
    assert policy.can(lead, "trust.overview", trust_id=trust.id)
    assert policy.can(lead, "casefile.read", school.id)
    assert not policy.can(lead, "casefile.write", school.id)


def test_trust_roles_do_not_reach_another_trust(make_trust, make_school, make_user):
    t1, t2 = make_trust(), make_trust()
    other = make_school(t2)
    _, lead = make_user("trust_lead", trust=t1)
    assert not policy.can(lead, "casefile.read", other.id)
    assert not policy.can(lead, "trust.overview", trust_id=t2.id)
    assert other.id not in lead.scope().read_schools


def test_unknown_action_is_a_programming_error(make_school, make_user):
    school = make_school()
    _, dsl = make_user("dsl", school)
    with pytest.raises(KeyError):
        policy.can(dsl, "casefile.delete", school.id)
