"""The converging-signals pages and API: who gets what (the routes naming a firing, walked
role by role), the decision through the form and the API, bad input named by field, the
dashboard and pupil page showing the alert, and the trust lead's rules page."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.models import AuditEntry, TrustSetting
from core.signals import evaluate
from core.signals.models import SignalDecision, SignalFiring
from tests.conftest import CSRF

D = dt.date
FRI, MON = D(2025, 9, 12), D(2025, 9, 15)
ROLES = ("staff", "dsl", "deputy_dsl", "headteacher", "school_admin", "trust_lead",
         "trust_admin")


@pytest.fixture
def case(session, make_school, make_pupil, days, notify):
    school = make_school()
    other = make_school(trust=school.trust)
    child = make_pupil(school, first_name="Cara", last_name="Wells")
    notify(school, child, FRI)
    days(school, child, [MON], "N")
    evaluate.evaluate_school(session, school.id, MON, incremental=False)
    firing = session.scalar(select(SignalFiring).where(SignalFiring.school_id == school.id))
    return dict(school=school, other=other, child=child, firing=firing)


def login(login_as, role, case):
    if role.startswith("trust"):
        return login_as(role, trust=case["school"].trust)
    return login_as(role, school=case["school"])


@pytest.mark.parametrize("role", ROLES + ("other_dsl",))
def test_who_reads_a_firing(client, login_as, case, role):
    s, f = case["school"].id, case["firing"].id
    if role == "other_dsl":
        login_as("dsl", school=case["other"])
    else:
        login(login_as, role, case)
    readers = {"dsl", "deputy_dsl", "trust_lead"}
    page = client.get(f"/schools/{s}/signals/{f}")
    api = client.get(f"/api/v1/schools/{s}/signals/{f}")
    family = client.get(f"/trust/{case['school'].trust_id}/signals/{f}/family")
    if role in readers:
        assert page.status_code == 200 and api.status_code == 200
        assert "Police notification (Operation Encompass)" in page.get_data(as_text=True)
        assert [i["kind"] for i in api.get_json()["indicators"]] == [
            "encompass.notification", "attendance.unexplained_day"]
    else:
        assert page.status_code == 404 and api.status_code == 404
    assert family.status_code == (200 if role == "trust_lead" else 404)
    decide = client.post(f"/api/v1/schools/{s}/signals/{f}/decisions", json={},
                         headers={"X-CSRF-Token": CSRF})
    assert decide.status_code == (422 if role in ("dsl", "deputy_dsl") else 404)


def test_decision_through_the_form(client, login_as, session, case):
    s, f = case["school"].id, case["firing"].id
    login_as("dsl", school=case["school"])
    bad = client.post(f"/schools/{s}/signals/{f}/decisions",
                      data={"csrf_token": CSRF, "outcome": "no_further_action", "reason": "",
                            "review_on": "2025-13-40"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert 'id="reason-error"' in text and 'id="review_on-error"' in text
    ok = client.post(f"/schools/{s}/signals/{f}/decisions",
                     data={"csrf_token": CSRF, "outcome": "monitor",
                           "reason": "Spoke to mum; school nurse to check in on Thursday."})
    assert ok.status_code == 302
    d = session.scalar(select(SignalDecision).where(SignalDecision.firing_id == f))
    assert (d.outcome, d.reason) == ("monitor", "Spoke to mum; school nurse to check in on "
                                                "Thursday.")
    page = client.get(f"/schools/{s}/signals/{f}").get_data(as_text=True)
    assert "Keep watching (no action now)" in page and "Record the decision" not in page


def test_decision_through_the_api_names_bad_fields(client, login_as, session, case):
    s, f = case["school"].id, case["firing"].id
    login_as("deputy_dsl", school=case["school"])
    url = f"/api/v1/schools/{s}/signals/{f}/decisions"
    h = {"X-CSRF-Token": CSRF}
    r = client.post(url, json={"outcome": "shrug", "reason": "x"}, headers=h)
    assert r.status_code == 422 and "outcome" in r.get_json()["errors"]["json"]
    r = client.post(url, json={"outcome": "refer", "reason": "Referred to early help.",
                               "review_on": "2020-01-01"}, headers=h)
    assert r.status_code == 422 and "review_on" in str(r.get_json())
    r = client.post(url, json={"outcome": "refer", "reason": "Referred to early help."},
                    headers=h)
    assert r.status_code == 201 and r.get_json()["outcome"] == "refer"
    listing = client.get(f"/api/v1/schools/{s}/signals").get_json()
    assert listing == []  # decided: nothing awaiting


def test_dashboard_and_pupil_page_show_the_alert(client, login_as, case):
    s, child = case["school"].id, case["child"]
    login_as("dsl", school=case["school"])
    dash = client.get(f"/schools/{s}/dashboard").get_data(as_text=True)
    assert "Converging signals" in dash and "Cara Wells</strong>: Police notification, then " \
        "unexplained absence" in dash
    pupil = client.get(f"/schools/{s}/pupils/{child.id}").get_data(as_text=True)
    assert f"/schools/{s}/signals/{case['firing'].id}" in pupil
    login_as("staff", school=case["school"])
    assert client.get(f"/schools/{s}/signals").status_code == 404


def test_the_trust_lead_tunes_the_rules(client, login_as, session, case):
    trust_id = case["school"].trust_id
    login_as("trust_lead", trust=case["school"].trust)
    page = client.get(f"/trust/{trust_id}/signals/rules")
    assert page.status_code == 200 and "Two kinds" in page.get_data(as_text=True)
    form = {"csrf_token": CSRF, "different_kinds.enabled": "on",
            "different_kinds.min_kinds": "9", "different_kinds.window_days": "28",
            "police_then_absence.within_school_days": "two",
            "relative_elsewhere_while_falling.window_days": "28"}
    bad = client.post(f"/trust/{trust_id}/signals/rules", data=form)
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Must be between 2 and 6" in text and "Must be a whole number" in text
    form.update({"different_kinds.min_kinds": "3",
                 "police_then_absence.within_school_days": "2"})
    assert client.post(f"/trust/{trust_id}/signals/rules", data=form).status_code == 302
    row = session.scalar(select(TrustSetting).where(TrustSetting.trust_id == trust_id,
                                                    TrustSetting.key == "signals_rules"))
    assert row.value["different_kinds"]["min_kinds"] == 3
    assert row.value["police_then_absence"] == {"enabled": False, "within_school_days": 2}
    assert session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "trust.setting_changed", AuditEntry.object_id == "signals_rules"))
    login_as("dsl", school=case["school"])
    assert client.get(f"/trust/{trust_id}/signals/rules").status_code == 404
    assert client.post(f"/trust/{trust_id}/signals/rules", data=form).status_code == 404
