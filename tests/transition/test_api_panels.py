"""The JSON API for the two DSL teams, and what the plugin adds to the DSL dashboard, the
pupil page and the trust overview."""
import datetime as dt

from tests.transition.conftest import acting
from sqlalchemy import select

from core import pupils
from plugins.transition import service
from plugins.transition.models import Transfer, TransferEvent
from tests.transition.test_pages import CSRF, sign_in

H = {"X-CSRF-Token": CSRF}  # the API takes the session's token in a header


def _sent(db, w):
    with acting(db, w["dsl_s"]) as s:
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, w["pupil"].id, dt.date(2026, 11, 11),
                         "Moved", w["receiver"].urn)
        tid = s.scalar(select(Transfer.id))
        service.prepare(s, w["dsl_s"], w["sender"].id, tid, covering_note="n")
        service.send_in_trust(s, w["dsl_s"], w["sender"].id, tid)
    return tid


def test_api_lists_and_confirms(db, client, world, make_user):
    w = world
    tid = _sent(db, w)
    receiver = make_user("deputy_dsl", school=w["receiver"])[0]
    sender = make_user("dsl", school=w["sender"])[0]
    sign_in(client, sender)
    listed = client.get(f"/api/v1/schools/{w['sender'].id}/transition/transfers").get_json()
    assert [t["id"] for t in listed["outgoing"]] == [tid] and listed["inbox"] == []
    assert listed["outgoing"][0]["due_date"] == "2026-11-18"
    # the sender cannot confirm its own file
    assert client.post(f"/api/v1/schools/{w['sender'].id}/transition/transfers/{tid}/receipt",
                       json={}, headers=H).status_code == 404
    sign_in(client, receiver)
    listed = client.get(f"/api/v1/schools/{w['receiver'].id}/transition/transfers").get_json()
    assert [t["id"] for t in listed["inbox"]] == [tid] and listed["outgoing"] == []
    url = f"/api/v1/schools/{w['receiver'].id}/transition/transfers/{tid}/receipt"
    first = client.post(url, json={"key": "api-1"}, headers=H)
    again = client.post(url, json={"key": "api-1"}, headers=H)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["kind"] == "receipt_confirmed"
    bad = client.post(url, json={"key": 5}, headers=H)
    assert bad.status_code == 422 and "key" in bad.get_json()["errors"]["json"]
    with acting(db) as s:
        assert len(s.scalars(select(TransferEvent).where(
            TransferEvent.kind == "receipt_confirmed")).all()) == 1
    sign_in(client, None)
    assert client.get(f"/api/v1/schools/{w['receiver'].id}/transition/transfers"
                      ).status_code == 401


def test_dashboard_and_pupil_panels(db, app, world, host):
    w = world
    tid = _sent(db, w)
    with acting(db, w["dsl_s"]) as s, app.test_request_context():
        panels = host.call_for_school(s, w["sender"].id, "mat_dashboard_panels",
                                      actor=w["dsl_s"])
        mine = [p for p in panels if p.plugin == "transition"]
        assert len(mine) == 1 and "<strong>1</strong> awaiting receipt" in mine[0].html
        pupil = host.call_for_school(s, w["sender"].id, "mat_pupil_panels",
                                     pupil_id=w["pupil"].id, actor=w["dsl_s"])
        assert any(f"/transition/transfers/{tid}" in p.html for p in pupil)
    with acting(db, w["dsl_r"]) as s, app.test_request_context():
        panels = host.call_for_school(s, w["receiver"].id, "mat_dashboard_panels",
                                      actor=w["dsl_r"])
        assert "<strong>1</strong> in your inbox" in panels[0].html
    with acting(db) as s, app.test_request_context():
        from core.policy import Actor

        staff = Actor(user_id=None, school_roles={w["sender"].id: frozenset({"staff"})},
                      school_trust={w["sender"].id: w["trust"].id}, mfa=True)
        assert host.call_for_school(s, w["sender"].id, "mat_dashboard_panels",
                                    actor=staff) == []


def test_trust_overview_has_the_transition_columns(db, world, host, make_user):
    from core.overview import trust_overview

    w = world
    _sent(db, w)
    _, lead = make_user("trust_lead", trust=w["trust"])
    with acting(db, lead) as s:
        ov = trust_overview(s, lead, w["trust"].id, dt.date(2026, 9, 1), dt.date(2026, 12, 31))
    keys = {f"{d.plugin}.{d.key}" for d in ov.definitions}
    assert {"transition.sent_on_time_pct", "transition.overdue_now",
            "transition.awaiting_receipt", "transition.incoming_outstanding"} <= keys
    assert ov.cells[w["sender"].id]["transition.awaiting_receipt"] == 1
    assert ov.cells[w["receiver"].id]["transition.awaiting_receipt"] == 0


def test_nav_link_only_for_the_dsl_team(db, world, host, make_user):
    w = world
    _, staff = make_user("staff", school=w["sender"])
    with acting(db, w["dsl_s"]) as s:
        links = host.call_for_school(s, w["sender"].id, "mat_nav_links", actor=w["dsl_s"])
        assert [link.endpoint for link in links if link.plugin == "transition"] == \
            ["transition.index"]
    with acting(db, staff) as s:
        assert [link for link in host.call_for_school(s, w["sender"].id, "mat_nav_links",
                                                      actor=staff)
                if link.plugin == "transition"] == []
