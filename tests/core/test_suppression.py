"""Small-number suppression: counts 1-4 hidden, rates over tiny denominators withheld, the
trust's own rule stored, validated and audited."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st
from sqlalchemy import select

from core import suppression
from core.errors import NotFound, ValidationError
from core.models import AuditEntry
from core.suppression import SuppressionRule, WITHHELD, rate_or_withheld, suppress_count


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=2, max_value=50))
def test_a_count_is_hidden_exactly_when_it_is_between_one_and_the_threshold(n, threshold):
    shown = suppress_count(n, threshold)
    if 1 <= n <= threshold - 1:
        assert shown == f"fewer than {threshold}"
    else:
        assert shown == n and isinstance(shown, int)


def test_the_default_rule_reads_as_the_issue_says():
    assert [suppress_count(n) for n in range(7)] == [
        0, "fewer than 5", "fewer than 5", "fewer than 5", "fewer than 5", 5, 6]
    assert suppress_count(None) is None


@pytest.mark.parametrize("bad", [-1, 2.5, "3", True])
def test_a_count_that_is_not_a_count_is_a_programming_error(bad):
    with pytest.raises(ValueError):
        suppress_count(bad)


@given(st.integers(min_value=0, max_value=10**5), st.integers(min_value=0, max_value=10**5),
       st.integers(min_value=1, max_value=1000))
def test_a_rate_is_withheld_exactly_when_its_denominator_is_small(num, den, minimum):
    shown = rate_or_withheld(num, den, minimum)
    if den == 0 or den < minimum:
        assert shown == WITHHELD
    else:
        assert isinstance(shown, float)
        assert abs(shown - 100 * num / den) <= 0.05 + 1e-9


def test_a_rate_rounds_to_one_place_per_hundred_by_default():
    assert rate_or_withheld(1, 3, 3) == 33.3
    assert rate_or_withheld(2, 9, 10) == WITHHELD
    assert rate_or_withheld(None, 10) is None
    assert rate_or_withheld(5, 40, 10, per=1000, digits=0) == 125.0


@given(st.integers(min_value=3, max_value=20), st.data())
def test_the_described_rule_names_its_own_numbers(threshold, data):
    minimum = data.draw(st.integers(min_value=threshold, max_value=1000))
    text = suppression.describe_rule(SuppressionRule(threshold, minimum))
    assert f'"fewer than {threshold}"' in text
    assert f"from 1 to {threshold - 1}" in text
    assert f"fewer than {minimum} pupils are withheld" in text


def test_the_trust_lead_sets_the_rule_and_it_is_stored_per_trust_and_audited(
        session, make_trust, make_user):
    trust, other = make_trust(), make_trust()
    _, lead = make_user("trust_lead", trust=trust)
    assert suppression.rule_for(session, trust.id) == SuppressionRule(5, 10)
    suppression.set_rule(session, lead, trust.id, 10, 20)
    assert suppression.rule_for(session, trust.id) == SuppressionRule(10, 20)
    assert suppression.rule_for(session, other.id) == SuppressionRule(5, 10)
    assert suppression.rule_for(session, trust.id).count(9) == "fewer than 10"
    assert suppression.rule_for(session, trust.id).rate(3, 19) == WITHHELD
    detail = session.scalars(select(AuditEntry.detail).where(
        AuditEntry.action == "suppression.rule_changed")).one()
    assert detail == {"before": [5, 10], "after": [10, 20]}


@pytest.mark.parametrize("threshold, minimum, fields", [
    (2, 10, {"threshold"}), (21, 30, {"threshold"}), ("5", 10, {"threshold"}),
    (5, 4, {"min_denominator"}), (5, 1001, {"min_denominator"}), (5, None, {"min_denominator"}),
    (True, 10, {"threshold"}),
])
def test_a_bad_rule_is_refused_naming_the_field(session, make_trust, make_user, threshold,
                                                minimum, fields):
    trust = make_trust()
    _, lead = make_user("trust_lead", trust=trust)
    with pytest.raises(ValidationError) as err:
        suppression.set_rule(session, lead, trust.id, threshold, minimum)
    assert set(err.value.errors) == fields
    assert suppression.rule_for(session, trust.id) == SuppressionRule()


@pytest.mark.parametrize("role", ["trust_admin", "dsl"])
def test_only_the_trust_lead_changes_the_rule(session, make_trust, make_school, make_user, role):
    trust = make_trust()
    school = make_school(trust)
    _, who = make_user(role, **({"trust": trust} if role.startswith("trust") else
                                {"school": school}))
    with pytest.raises(NotFound):
        suppression.set_rule(session, who, trust.id, 6, 12)
    assert suppression.rule_for(session, trust.id) == SuppressionRule()


def test_a_stored_rule_edited_into_nonsense_suppresses_at_the_default(session, make_trust):
    from core.schools import set_trust_setting

    trust = make_trust()
    set_trust_setting(session, trust.id, suppression.SETTING_KEY,
                      {"threshold": 1, "min_denominator": 0})
    assert suppression.rule_for(session, trust.id) == SuppressionRule()
