import datetime as dt

import pytest
from sqlalchemy import delete, select, text, update

from core import alerts, concerns
from core.calendar import LONDON
from core.db import SYSTEM
from core.errors import AppendOnlyViolation, ValidationError
from core.models import Alert, AuditEntry, Concern, ConcernEntry
from core.schools import set_trust_setting


def test_recording_validates_each_field(session, make_school, make_user):
    school = make_school()
    _, staff = make_user("staff", school)
    with pytest.raises(ValidationError) as err:
        concerns.record_concern(session, staff, school.id, occurred_at=dt.datetime(2026, 1, 1),
                                pupil_ids=[999999], fact="  ", category_ids=[424242])
    assert set(err.value.errors) == {"fact", "occurred_at", "pupil_ids", "category_ids"}
    assert session.scalars(select(Concern)).all() == []


def test_concern_records_fact_words_and_opinion_separately(session, make_school, make_user,
                                                          make_pupil):
    school = make_school()
    _, staff = make_user("staff", school)
    p1, p2 = make_pupil(school), make_pupil(school)
    cats = concerns.categories(session, school.trust_id)
    c = concerns.record_concern(
        session, staff, school.id, occurred_at=dt.datetime(2026, 10, 1, 9, tzinfo=LONDON),
        pupil_ids=[p1.id, p2.id, p1.id], fact="Said she was hungry.", child_words="No tea again",
        opinion="Looks thinner", category_ids=[cats[3].id],
        attachments=[concerns.NewAttachment("note.txt", "text/plain", b"hello")])
    view = concerns.get_concern(session, staff, school.id, c.id)
    assert {p.id for p in view.pupils} == {p1.id, p2.id}
    assert (view.concern.fact, view.concern.child_words, view.concern.opinion) == (
        "Said she was hungry.", "No tea again", "Looks thinner")
    assert view.categories[0].code == cats[3].code
    assert view.attachments[0].size == 5 and view.status == "awaiting_triage"


def test_entries_cannot_be_edited_or_deleted(session, make_school, make_user, make_pupil,
                                             make_concern):
    school = make_school()
    _, dsl = make_user("dsl", school)
    c = make_concern(school, [make_pupil(school)])
    e = concerns.add_entry(session, dsl, school.id, c.id, "triage", risk_level="low")
    session.flush()
    with pytest.raises(AppendOnlyViolation):
        with session.begin_nested():
            e.body = "rewritten"
    session.expire_all()
    with pytest.raises(AppendOnlyViolation):
        with session.begin_nested():
            session.delete(session.get(Concern, c.id))
    session.expire_all()
    assert session.get(ConcernEntry, e.id).body == ""


def test_database_refuses_raw_edits_of_entries(db, make_school, make_user, make_pupil,
                                               make_concern):
    school = make_school()
    c = make_concern(school, [make_pupil(school)])
    with db.session(SYSTEM) as s:
        with pytest.raises(Exception) as err:
            with s.begin_nested():
                s.execute(text("UPDATE concerns SET fact = 'gone' WHERE id = :i"), {"i": c.id})
        assert "append-only" in str(err.value)
        with pytest.raises(Exception) as err:
            with s.begin_nested():
                s.execute(text("DELETE FROM audit_entries"))
        assert "append-only" in str(err.value)
        assert s.get(Concern, c.id).fact == c.fact


def test_entry_rules(session, make_school, make_user, make_pupil, make_concern):
    school = make_school()
    _, dsl = make_user("dsl", school)
    c = make_concern(school, [make_pupil(school)])
    add = lambda kind, **kw: concerns.add_entry(session, dsl, school.id, c.id, kind, **kw)
    with pytest.raises(ValidationError) as err:
        add("triage", risk_level="catastrophic")
    assert "risk_level" in err.value.errors
    add("triage", risk_level="medium")
    with pytest.raises(ValidationError) as err:
        add("action", body="Call mum")
    assert "due_date" in err.value.errors
    action = add("action", body="Call mum", due_date=dt.date.today() + dt.timedelta(days=3))
    with pytest.raises(ValidationError):
        add("referral", body="to CSC", referral_to="the moon")
    ref = add("referral", body="Strategy discussion", referral_to="childrens_social_care")
    with pytest.raises(ValidationError):
        add("outcome", body="Accepted", refers_to_id=action.id)
    add("outcome", body="Accepted", refers_to_id=ref.id)
    add("action_done", body="Called", refers_to_id=action.id)
    with pytest.raises(ValidationError):
        add("action_done", body="Called again", refers_to_id=action.id)
    add("amendment", body="Time of incident was 10:40 not 10:30")
    add("closure", body="Plan in place")
    with pytest.raises(ValidationError):
        add("closure", body="twice")
    assert concerns.get_concern(session, dsl, school.id, c.id).status == "closed"
    add("reopened", body="New information from police")
    assert concerns.get_concern(session, dsl, school.id, c.id).status == "open"


def test_overdue_actions(session, make_school, make_user, make_pupil, make_concern):
    school = make_school()
    _, dsl = make_user("dsl", school)
    c = make_concern(school, [make_pupil(school)])
    due = dt.date.today() + dt.timedelta(days=2)
    a = concerns.add_entry(session, dsl, school.id, c.id, "action", body="Home visit", due_date=due)
    assert concerns.overdue_actions(session, school.id, due) == []
    late = concerns.overdue_actions(session, school.id, due + dt.timedelta(days=1))
    assert [o.entry_id for o in late] == [a.id]
    concerns.add_entry(session, dsl, school.id, c.id, "action_done", body="Done", refers_to_id=a.id)
    assert concerns.overdue_actions(session, school.id, due + dt.timedelta(days=1)) == []


def test_accumulation_flags_the_pupil_once(session, make_school, make_pupil, make_concern):
    school = make_school()
    set_trust_setting(session, school.trust_id, "concern_accumulation", {"count": 3, "days": 30})
    pupil = make_pupil(school)
    now = dt.datetime.now(LONDON)
    make_concern(school, [pupil], occurred_at=now - dt.timedelta(days=40))
    make_concern(school, [pupil], occurred_at=now - dt.timedelta(days=20))
    make_concern(school, [pupil], occurred_at=now - dt.timedelta(days=10))
    assert session.scalars(select(Alert)).all() == []  # only two within 30 days
    make_concern(school, [pupil], occurred_at=now - dt.timedelta(days=1))
    found = session.scalars(select(Alert).where(Alert.kind == "concern_accumulation")).all()
    assert len(found) == 1 and found[0].pupil_id == pupil.id
    assert concerns.check_accumulation(session, school.id, pupil.id) is False  # no duplicate


def test_every_concern_read_is_audited(session, make_school, make_user, make_pupil, make_concern):
    school = make_school()
    _, dsl = make_user("dsl", school)
    c = make_concern(school, [make_pupil(school)])
    before = len(session.scalars(select(AuditEntry).where(AuditEntry.action == "concern.read")).all())
    concerns.get_concern(session, dsl, school.id, c.id)
    reads = session.scalars(select(AuditEntry).where(AuditEntry.action == "concern.read")).all()
    assert len(reads) == before + 1
    assert (reads[-1].user_id, reads[-1].object_id, reads[-1].school_id) == (dsl.user_id, str(c.id), school.id)


def test_status_in_sql_matches_the_rule_and_filters_before_the_limit(
        session, make_school, make_user, make_pupil, make_concern):
    school = make_school()
    _, dsl = make_user("dsl", school)
    pupil = make_pupil(school)
    add = lambda c, kind, **kw: concerns.add_entry(session, dsl, school.id, c.id, kind, **kw)
    untouched = make_concern(school, [pupil])
    noted = make_concern(school, [pupil])
    add(noted, "note", body="spoke to class teacher")  # a note alone is not triage
    triaged = make_concern(school, [pupil])
    add(triaged, "triage", risk_level="low")
    closed = make_concern(school, [pupil])
    add(closed, "triage", risk_level="low")
    add(closed, "closure", body="resolved")
    reopened = make_concern(school, [pupil])
    add(reopened, "closure", body="resolved")
    add(reopened, "reopened", body="new information")
    expected = {untouched.id: "awaiting_triage", noted.id: "awaiting_triage",
                triaged.id: "open", closed.id: "closed", reopened.id: "open"}
    rows = concerns.list_concerns(session, dsl, school.id)
    assert {r.id: r.status for r in rows} == expected
    for c in (untouched, noted, triaged, closed, reopened):  # the Python rule agrees
        assert concerns.concern_status(concerns.entries_of(session, c.id)) == expected[c.id]
    assert concerns.open_counts(session, school.id) == {"awaiting_triage": 2, "open": 2,
                                                        "closed": 1}
    # the status filter applies before the limit: the oldest concern is still found
    assert [r.id for r in concerns.list_concerns(session, dsl, school.id,
                                                 status="awaiting_triage", limit=1)] == [noted.id]
    assert {r.id for r in concerns.list_concerns(session, dsl, school.id,
                                                 status=("open", "closed"))} == {
        triaged.id, closed.id, reopened.id}
