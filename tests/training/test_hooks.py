"""The plugin's hook contributions: trust metrics, dashboard panel, nav link, recurring job,
demo data; none of them for a school with the plugin off."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core import accounts
from core.models import AuditEntry
from core.overview import trust_overview
from plugins.training import demo
from plugins.training.service import build_matrix, dsl_in_date, follow_ups
from plugins.training.models import Acknowledgement, Policy, StaffMember, TrainingRecord
from .training_constants import TODAY

D = dt.date


def test_trust_overview_gets_aggregates_and_nothing_from_a_school_with_it_off(
        session, make_trust, make_school, make_person, make_user, courses, add_done):
    trust = make_trust()
    on = make_school(trust=trust, name="A on")
    off = make_school(trust=trust, name="B off", plugins=[])
    c = courses(trust.id)
    dsl = make_person(on, "teacher", safeguarding_role="dsl")
    gov = make_person(on, "governor")
    for p in (dsl, gov):
        add_done(p, c["induction"], D(2020, 9, 1))
        add_done(p, c["annual_update"], D(2026, 9, 1))
    add_done(dsl, c["prevent"], D(2026, 9, 1))
    add_done(dsl, c["online_safety"], D(2026, 9, 1))
    add_done(dsl, c["dsl_training"], D(2024, 12, 1))   # due 1 Dec 2026: within 30 days
    make_person(off, "governor")
    _, lead = make_user("trust_lead", trust=trust)
    ov = trust_overview(session, lead, trust.id, D(2026, 9, 1), TODAY)
    assert {k: v for k, v in ov.cells[on.id].items() if k.startswith("training.")} == {
        "training.compliance_pct": 100.0, "training.dsl_in_date": 1, "training.expiring_30": 1}
    assert not [k for k in ov.cells[off.id] if k.startswith("training.")]
    assert {d.key for d in ov.definitions if d.plugin == "training"} == {
        "compliance_pct", "dsl_in_date", "expiring_30"}


def test_dashboard_panel_nav_and_jobs(app, host, session, make_school, make_user):
    on, off = make_school(), make_school(plugins=[])
    _, dsl = make_user("dsl", school=on)
    _, staff = make_user("staff", school=on)
    with app.test_request_context():
        panels = host.call_for_school(session, on.id, "mat_dashboard_panels", actor=dsl)
        mine = [p for p in panels if p.plugin == "training"]
        assert len(mine) == 1 and "no staff listed" in mine[0].html
        assert host.call_for_school(session, on.id, "mat_dashboard_panels", actor=staff) == []
        _, off_dsl = make_user("dsl", school=off)
        assert host.call_for_school(session, off.id, "mat_dashboard_panels", actor=off_dsl) == []
    links = host.call_for_school(session, on.id, "mat_nav_links", actor=staff)
    assert [(n.plugin, n.endpoint) for n in links] == [("training", "training.home")]
    assert host.call_for_school(session, off.id, "mat_nav_links", actor=off_dsl) == []
    jobs = [j for j in host.call_global("mat_recurring_jobs") if j.plugin == "training"]
    assert [(j.name, j.func.__name__) for j in jobs] == [("reminders", "send_reminders")]


def test_demo_data_has_a_spread_and_signatures(session, make_school, make_trust):
    trust = make_trust()
    schools = [make_school(trust=trust) for _ in range(2)]
    for i, school in enumerate(schools):
        for role in ("dsl", "deputy_dsl", "staff", "headteacher", "school_admin"):
            u = accounts.create_user(session, f"{role}{i}.demo@example.org", f"{role} {i}", None)
            accounts.grant_role(session, u.id, role, school_id=school.id)
    demo.seed_demo(session, trust.id, [s.id for s in schools], seed=2026)
    for school in schools:
        m = build_matrix(session, school.id)
        people = session.scalar(select(func.count()).select_from(StaffMember).where(
            StaffMember.school_id == school.id))
        assert people == 5 + len(demo.ROLE_MIX)
        # the demo accounts are on the list, linked to their sign-in
        assert session.scalar(select(func.count()).select_from(StaffMember).where(
            StaffMember.school_id == school.id, StaffMember.user_id.is_not(None))) == 5
        assert m.counts["compliant"] > 0 and m.counts["expired"] > 0 and m.counts["missing"] > 0
        assert 0 < m.compliance_pct < 100
        assert follow_ups(session, school.id)
        v3 = session.scalar(select(Policy).where(Policy.school_id == school.id,
                                                 Policy.version == "v3"))
        signed = session.scalar(select(func.count()).select_from(Acknowledgement).where(
            Acknowledgement.policy_id == v3.id))
        assert 0 < signed < people
    # school 2 (index 1) has a lapsed deputy: DSL training not in date
    assert dsl_in_date(build_matrix(session, schools[1].id)) is False
    assert session.scalar(select(func.count()).select_from(TrainingRecord)) > 40
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "training.record_added")) > 40
