"""The DSL dashboard: what needs attention (each list worked out by hand), panels and links of
plugins switched on for the school, and alerts that stay findable once read."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import alerts, concerns
from core.db import utcnow
from core.models import Alert, AuditEntry
from core.schools import set_trust_setting


def _dash(world, school=None):
    return f"/schools/{(school or world.school).id}/dashboard"


def test_the_dashboard_lists_what_needs_the_dsl(client, as_role, world, session, make_user,
                                                make_pupil, make_concern):
    _, dsl = make_user("dsl", school=world.school)
    ruby = make_pupil(world.school, first_name="Ruby", last_name="Nowak")
    leo = make_pupil(world.school, first_name="Leo", last_name="Hughes")
    # triaged and given an action already overdue (history brought in: created_at given)
    old = make_concern(world.school, [ruby], fact="Late pick-up again.",
                       recorded_at=utcnow() - dt.timedelta(days=40))
    concerns.add_entry(session, dsl, world.school.id, old.id, "triage", risk_level="low",
                       created_at=utcnow() - dt.timedelta(days=39))
    concerns.add_entry(session, dsl, world.school.id, old.id, "action", body="Meet dad.",
                       due_date=dt.date.today() - dt.timedelta(days=3),
                       created_at=utcnow() - dt.timedelta(days=39))
    # closed long ago: not "open too long"
    closed = make_concern(world.school, [leo], fact="Fell in the playground.",
                          recorded_at=utcnow() - dt.timedelta(days=60))
    concerns.add_entry(session, dsl, world.school.id, closed.id, "closure", body="Accident.")
    alerts.raise_alert(session, world.school.id, "pattern", "Absent every Monday", "dash-1",
                       pupil_id=leo.id)
    user, _ = as_role("dsl")
    body = client.get(_dash(world)).get_data(as_text=True)
    awaiting = body[body.index('id="awaiting-h"'):body.index('id="overdue-h"')]
    overdue = body[body.index('id="overdue-h"'):body.index('id="flagged-h"')]
    flagged = body[body.index('id="flagged-h"'):body.index('id="too-long-h"')]
    too_long = body[body.index('id="too-long-h"'):body.index('id="alerts-h"')]
    assert f"C{world.concern.id}: Amelia Okafor" in awaiting and f"C{old.id}" not in awaiting
    assert "Meet dad." in overdue and f"C{old.id}" in overdue
    assert "Leo Hughes: Absent every Monday" in flagged and "1 alert" in flagged
    assert "Ruby" not in flagged
    assert f"C{old.id}: Ruby Nowak" in too_long and f"C{closed.id}" not in too_long
    assert f"C{world.concern.id}:" not in too_long  # recorded today
    assert "Open more than 28 days" in body
    assert session.scalars(select(AuditEntry).where(
        AuditEntry.action == "dashboard.read", AuditEntry.user_id == user.id)).first()


def test_open_too_long_follows_the_trust_setting(client, as_role, world, session, make_concern):
    set_trust_setting(session, world.trust.id, "dashboard", {"open_too_long_days": 5})
    c = make_concern(world.school, [world.pupil], fact="Quiet all week.",
                     recorded_at=utcnow() - dt.timedelta(days=6))
    as_role("dsl")
    body = client.get(_dash(world)).get_data(as_text=True)
    too_long = body[body.index('id="too-long-h"'):body.index('id="alerts-h"')]
    assert "Open more than 5 days" in too_long and f"C{c.id}:" in too_long


def test_plugin_panels_and_links_follow_the_schools_switches(client, as_role, world, session,
                                                              host):
    as_role("trust_lead")
    body = client.get(_dash(world)).get_data(as_text=True)
    assert "Tiny dashboard panel" in body
    assert f"tiny panel for school {world.school.id}" in body
    assert f'href="/schools/{world.school.id}/tinyweb/">Tiny page</a>' in body
    assert client.get(f"/schools/{world.school.id}/tinyweb/").status_code == 200
    host.set_enabled(session, world.school.id, "tinyweb", False)
    body = client.get(_dash(world)).get_data(as_text=True)
    assert "Tiny dashboard panel" not in body and "Tiny page" not in body
    assert client.get(f"/schools/{world.school.id}/tinyweb/").status_code == 404
    # the other school still has it
    other = client.get(_dash(world, world.other)).get_data(as_text=True)
    assert f"tiny panel for school {world.other.id}" in other
    assert client.get(f"/schools/{world.other.id}/tinyweb/").status_code == 200


def test_time_critical_panels_come_first_and_the_rest_after_the_core(client, as_role, world,
                                                                      monkeypatch):
    from web.views import dashboard

    as_role("dsl")
    body = client.get(_dash(world)).get_data(as_text=True)
    # the tiny panel (order 10, like Encompass's notifications due today) leads the page
    assert body.index("Tiny dashboard panel") < body.index('id="awaiting-h"')
    monkeypatch.setattr(dashboard, "URGENT_PANEL_ORDER", 5)  # now it is not time-critical
    body = client.get(_dash(world)).get_data(as_text=True)
    assert body.index('id="alerts-h"') < body.index("Tiny dashboard panel")


def test_triage_is_oldest_first_with_its_age_and_the_pupils_flags(
        client, as_role, world, session, make_pupil, make_concern):
    from core import pupils

    newer = make_concern(world.school, [world.pupil], fact="Hungry again.",
                         recorded_at=utcnow() - dt.timedelta(hours=5))
    cp = make_pupil(world.school, first_name="Noor", last_name="Shah")
    pupils.set_flag(session, None, world.school.id, cp.id, "cp_plan",
                    start=dt.date.today() - dt.timedelta(days=30))
    oldest = make_concern(world.school, [cp], fact="Marks on wrist.",
                          recorded_at=utcnow() - dt.timedelta(days=3))
    as_role("dsl")
    body = client.get(_dash(world)).get_data(as_text=True)
    awaiting = body[body.index('id="awaiting-h"'):body.index('id="overdue-h"')]
    order = [awaiting.index(f"C{c.id}:") for c in (oldest, newer, world.concern)]
    assert order == sorted(order)
    assert "waiting 3 days" in awaiting and "waiting 5 hours" in awaiting
    line = awaiting[awaiting.index(f"C{oldest.id}:"):awaiting.index(f"C{newer.id}:")]
    assert "Child protection plan" in line


def test_alerts_are_grouped_per_pupil_naming_them_and_several_kinds_rank_first(
        client, as_role, world, session, make_pupil):
    one_kind = make_pupil(world.school, first_name="Ivy", last_name="Cole")
    two_kinds = make_pupil(world.school, first_name="Omar", last_name="Said")
    for i in range(3):
        alerts.raise_alert(session, world.school.id, "pattern", f"Absent Monday {i}",
                           f"dash-ivy-{i}", pupil_id=one_kind.id)
    alerts.raise_alert(session, world.school.id, "pattern", "Absent Fridays", "dash-omar-1",
                       pupil_id=two_kinds.id)
    alerts.raise_alert(session, world.school.id, "accumulation", "3 concerns in 30 days",
                       "dash-omar-2", pupil_id=two_kinds.id)
    as_role("dsl")
    body = client.get(_dash(world)).get_data(as_text=True)
    flagged = body[body.index('id="flagged-h"'):body.index('id="too-long-h"')]
    assert flagged.index("Omar Said") < flagged.index("Ivy Cole")  # two kinds beat three alerts
    assert "Omar Said: Absent Fridays" in flagged and "2 kinds of sign" in flagged
    assert "Ivy Cole: Absent Monday 0" in flagged and "3 alerts" in flagged


def test_a_long_list_shows_its_first_rows_and_links_to_the_rest(
        client, as_role, world, session, make_concern):
    from web.views.dashboard import SHOWN

    for i in range(SHOWN + 2):
        make_concern(world.school, [world.pupil], fact=f"Concern {i}",
                     recorded_at=utcnow() - dt.timedelta(hours=i + 1))
    as_role("dsl")
    body = client.get(_dash(world)).get_data(as_text=True)
    awaiting = body[body.index('id="awaiting-h"'):body.index('id="overdue-h"')]
    assert awaiting.count("<li>") == SHOWN
    assert "3 more awaiting triage: see them all" in awaiting  # SHOWN + 2 + the world's one
    assert "status=awaiting_triage" in awaiting


def test_reading_an_alert_marks_it_read_and_it_stays_findable(client, as_role, world, session):
    a, _ = alerts.raise_alert(session, world.school.id, "accumulation", "3 concerns in 30 days",
                              "dash-read", pupil_id=world.pupil.id,
                              link=f"/schools/{world.school.id}/pupils/{world.pupil.id}")
    b, _ = alerts.raise_alert(session, world.school.id, "other", "Javascript link", "dash-js",
                              link="javascript:alert(1)")
    user, _ = as_role("dsl")
    unread = client.get(f"/schools/{world.school.id}/alerts").get_data(as_text=True)
    assert "3 concerns in 30 days" in unread
    page = client.get(f"/schools/{world.school.id}/alerts/{a.id}").get_data(as_text=True)
    assert f'href="/schools/{world.school.id}/pupils/{world.pupil.id}">Go to it' in page
    session.expire_all()
    row = session.get(Alert, a.id)
    assert row.read_at is not None and row.read_by_id == user.id
    assert "3 concerns in 30 days" not in client.get(
        f"/schools/{world.school.id}/alerts").get_data(as_text=True)
    read = client.get(f"/schools/{world.school.id}/alerts?show=read").get_data(as_text=True)
    assert "3 concerns in 30 days" in read and "Javascript link" not in read
    assert "3 concerns in 30 days" in client.get(
        f"/schools/{world.school.id}/alerts?show=all").get_data(as_text=True)
    js = client.get(f"/schools/{world.school.id}/alerts/{b.id}").get_data(as_text=True)
    assert "javascript:" not in js and "Go to it" not in js


def test_another_schools_alert_is_not_found(client, as_role, world, session):
    a, _ = alerts.raise_alert(session, world.other.id, "x", "Elsewhere", "dash-other")
    as_role("dsl")
    assert client.get(f"/schools/{world.school.id}/alerts/{a.id}").status_code == 404
    session.expire_all()
    assert session.get(Alert, a.id).read_at is None


def test_the_page_hooks_answer_per_school(session, world, host, make_user):
    """What the pages call: mat_dashboard_panels, mat_pupil_panels and mat_nav_links, each
    through call_for_school, so a school with the plugin off gets nothing from it."""
    _, dsl = make_user("dsl", school=world.school)
    sid = world.school.id
    panels = host.call_for_school(session, sid, "mat_dashboard_panels", actor=dsl)
    assert [(p.plugin, p.title) for p in panels] == [("tinyweb", "Tiny dashboard panel")]
    pupil_panels = host.call_for_school(session, sid, "mat_pupil_panels",
                                        pupil_id=world.pupil.id, actor=dsl)
    assert [p.html for p in pupil_panels] == [f"<p class='tiny'>tiny pupil {world.pupil.id}</p>"]
    links = host.call_for_school(session, sid, "mat_nav_links", actor=dsl)
    assert [(link.label, link.endpoint) for link in links] == [("Tiny page", "tinyweb.page")]
    host.set_enabled(session, sid, "tinyweb", False)
    assert host.call_for_school(session, sid, "mat_dashboard_panels", actor=dsl) == []
    assert host.call_for_school(session, sid, "mat_nav_links", actor=dsl) == []
    _, other_dsl = make_user("dsl", school=world.other)
    assert len(host.call_for_school(session, world.other.id, "mat_nav_links",
                                    actor=other_dsl)) == 1


def test_read_or_unread_is_chosen_before_the_limit(session, world, make_user):
    """With more unread alerts than the limit, the read ones are still listed."""
    _, dsl = make_user("dsl", school=world.school)
    old, _ = alerts.raise_alert(session, world.school.id, "x", "Read long ago", "lim-old")
    alerts.mark_read(session, dsl, world.school.id, old.id)
    for i in range(3):
        alerts.raise_alert(session, world.school.id, "x", f"Newer {i}", f"lim-{i}")
    assert [a.id for a in alerts.list_alerts(session, dsl, world.school.id, read=True,
                                             limit=2)] == [old.id]
    unread = alerts.list_alerts(session, dsl, world.school.id, read=False, limit=2)
    assert len(unread) == 2 and all(a.read_at is None for a in unread)
    assert len(alerts.list_alerts(session, dsl, world.school.id, limit=10)) == 4
