"""The concern page of the DSL team: the record, entries in order, the forms that append to it
(each refusal shown beside its field, with what was typed kept), attachments downloaded with
an audit line, and no way to edit an entry."""
from __future__ import annotations

import datetime as dt
import re

from tests.web.conftest import CSRF_VALUE
from sqlalchemy import func, select

from core import concerns
from core.models import AuditEntry, ConcernEntry


def _page(world, concern=None):
    return f"/schools/{world.school.id}/concerns/{(concern or world.concern).id}"


def _post(client, world, **data):
    return client.post(_page(world) + "/entries", data={"csrf_token": CSRF_VALUE, **data})


def test_the_dsl_reads_the_whole_record_and_the_read_is_audited(client, as_role, world, session):
    user, _ = as_role("dsl")
    body = client.get(_page(world)).get_data(as_text=True)
    assert "Arrived without a coat in the rain." in body
    assert "I don&#39;t have one that fits." in body  # the child's words, apart
    assert "School gate" in body and "Awaiting triage" in body
    assert f'href="/schools/{world.school.id}/pupils/{world.pupil.id}"' in body
    assert "Add to the record" in body
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "concern.read", AuditEntry.user_id == user.id,
        AuditEntry.object_id == str(world.concern.id))) == 1


def test_the_trust_lead_reads_but_cannot_add(client, as_role, world):
    as_role("trust_lead")
    body = client.get(_page(world)).get_data(as_text=True)
    assert "Arrived without a coat" in body and "Add to the record" not in body
    assert _post(client, world, kind="note", body="x").status_code == 404


def test_triage_then_action_then_done_show_in_order(client, as_role, world, session):
    as_role("dsl")
    assert _post(client, world, kind="triage", risk_level="medium").status_code == 302
    due = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    assert _post(client, world, kind="action", body="Phone mum about the coat.",
                 due_date=due).status_code == 302
    action = session.scalars(select(ConcernEntry).where(
        ConcernEntry.concern_id == world.concern.id, ConcernEntry.kind == "action")).one()
    assert action.due_date.isoformat() == due
    assert _post(client, world, kind="action_done", refers_to_id=str(action.id),
                 body="Mum has a coat from the uniform bank.").status_code == 302
    body = client.get(_page(world)).get_data(as_text=True)
    positions = [body.index(t) for t in ("medium risk", "Phone mum about the coat.",
                                         "Mum has a coat from the uniform bank.")]
    assert positions == sorted(positions)
    assert "Open</span>" in body  # triaged: no longer awaiting triage
    assert "Which action" not in body  # nothing left to mark done


def test_a_refused_entry_names_the_field_and_keeps_what_was_typed(client, as_role, world,
                                                                 session):
    as_role("dsl")
    resp = _post(client, world, kind="referral", referral_to="", body="Parents informed; "
                 "threshold met <for> early help.")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(r'id="referral-referral_to-error">one of early_help', body)
    assert "threshold met &lt;for&gt; early help.</textarea>" in body
    assert re.search(r'<details class="entry-form" id="form-referral" open>', body)
    resp = _post(client, world, kind="action", body="Check in weekly.", due_date="2020-01-01")
    assert resp.status_code == 422
    assert "cannot be in the past" in resp.get_data(as_text=True)
    resp = _post(client, world, kind="action", body="Check in weekly.", due_date="next week")
    assert "is not a date" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(ConcernEntry).where(
        ConcernEntry.concern_id == world.concern.id)) == 0


def test_entries_cannot_be_edited_only_amended(client, app, as_role, world, session):
    as_role("dsl")
    _post(client, world, kind="decision", body="Monitor for two weeks.")
    entry = session.scalars(select(ConcernEntry).where(
        ConcernEntry.concern_id == world.concern.id)).one()
    # no page route can change an entry: only POSTs that append exist
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("casefile.", "concerns.")):
            assert not (rule.methods & {"PUT", "PATCH", "DELETE"}), rule
    assert client.put(_page(world) + "/entries", data={"csrf_token": CSRF_VALUE}).status_code == 405
    resp = _post(client, world, kind="amendment", refers_to_id=str(entry.id),
                 body="Monitor for three weeks, not two.")
    assert resp.status_code == 302
    session.expire_all()
    rows = session.scalars(select(ConcernEntry).where(
        ConcernEntry.concern_id == world.concern.id).order_by(ConcernEntry.id)).all()
    assert [(r.kind, r.body) for r in rows] == [
        ("decision", "Monitor for two weeks."),
        ("amendment", "Monitor for three weeks, not two.")]
    assert rows[1].refers_to_id == entry.id


def test_close_and_reopen(client, as_role, world):
    as_role("deputy_dsl")
    assert _post(client, world, kind="closure", body="No further concern.").status_code == 302
    body = client.get(_page(world)).get_data(as_text=True)
    assert "Closed</span>" in body and 'id="form-reopened"' in body
    assert 'id="form-closure"' not in body
    resp = _post(client, world, kind="closure", body="Again")
    assert "this concern is already closed" in resp.get_data(as_text=True)
    assert _post(client, world, kind="reopened", body="New information.").status_code == 302
    assert "Open</span>" in client.get(_page(world)).get_data(as_text=True)


def test_attachment_downloads_are_audited_and_fenced(client, as_role, world, session, make_user):
    staff, staff_actor = make_user("staff", school=world.school)
    c = concerns.record_concern(
        session, staff_actor, world.school.id,
        occurred_at=dt.datetime(2026, 10, 6, 9, tzinfo=dt.timezone.utc),
        pupil_ids=[world.pupil.id], fact="Handed me this note.",
        attachments=[concerns.NewAttachment("note.txt", "text/plain", b"please help")])
    att_id = concerns.get_concern(session, staff_actor, world.school.id, c.id).attachments[0].id
    url = f"{_page(world, c)}/attachments/{att_id}"
    user, _ = as_role("dsl")
    page = client.get(_page(world, c)).get_data(as_text=True)
    assert f'href="{url}"' in page and "note.txt" in page
    resp = client.get(url)
    assert resp.data == b"please help"
    assert resp.headers["Content-Disposition"] == "attachment; filename=note.txt"
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "attachment.read", AuditEntry.user_id == user.id,
        AuditEntry.object_id == str(att_id))) == 1
    for role in ("staff", "headteacher", "school_admin", "trust_admin"):
        as_role(role)  # not the recorder: nothing
        assert client.get(url).status_code == 404
    as_role("dsl", school=world.other)
    assert client.get(url).status_code == 404


def test_staff_see_their_own_record_without_the_dsls_entries(client, as_role, world, session,
                                                            make_user, login_as):
    dsl_user, dsl = make_user("dsl", school=world.school)
    user, actor = as_role("staff")
    c = concerns.record_concern(
        session, actor, world.school.id,
        occurred_at=dt.datetime(2026, 10, 6, 9, tzinfo=dt.timezone.utc),
        pupil_ids=[world.pupil.id], fact="Said she was hungry.")
    concerns.add_entry(session, dsl, world.school.id, c.id, "referral",
                       referral_to="childrens_social_care", body="Section 47 strategy meeting.")
    body = client.get(_page(world, c)).get_data(as_text=True)
    assert "Said she was hungry." in body
    assert "Section 47" not in body and "Add to the record" not in body
    assert "confidential to the team" in body
    assert _post(client, world, kind="note", body="me too").status_code == 404
    assert client.get(f"/schools/{world.school.id}/concerns").status_code == 404


def test_an_attachment_named_in_any_script_downloads_with_its_name(client, as_role, world,
                                                                   session, make_user):
    staff, staff_actor = make_user("staff", school=world.school)
    c = concerns.record_concern(
        session, staff_actor, world.school.id,
        occurred_at=dt.datetime(2026, 10, 6, 9, tzinfo=dt.timezone.utc),
        pupil_ids=[world.pupil.id], fact="Her mother sent the school's letter back.",
        attachments=[concerns.NewAttachment("报告 Zoë.pdf", "application/pdf", b"%PDF-1.4")])
    att_id = concerns.get_concern(session, staff_actor, world.school.id, c.id).attachments[0].id
    as_role("dsl")
    resp = client.get(f"{_page(world, c)}/attachments/{att_id}")
    header = resp.headers["Content-Disposition"]
    header.encode("latin-1")  # what a real server must be able to send
    assert header.startswith("attachment;")
    assert "filename*=UTF-8''%E6%8A%A5%E5%91%8A%20Zo%C3%AB.pdf" in header
    assert resp.data == b"%PDF-1.4"
