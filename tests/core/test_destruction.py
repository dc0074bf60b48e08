"""Destruction at the end of retention: the content of a due, unheld child-protection file
goes (facts, words, entries' bodies, files' bytes, flag notes, agency contacts) while the rows
and a tombstone stay; the database still refuses any other change; a shared concern is kept;
refusals named; audited."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from core import concerns, contacts, retention
from core.errors import NotFound, ValidationError
from core.models import Attachment, AuditEntry, Concern, ConcernEntry
from core.models.retention import Destruction

TODAY = dt.date(2026, 12, 2)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def due_file(session, make_school, make_pupil, make_user, make_concern):
    school = make_school()
    _, dsl = make_user("dsl", school)
    pupil = make_pupil(school, first_name="Old", last_name="File")
    other = make_pupil(school)
    own = make_concern(school, [pupil], fact="Bruise on the arm.", child_words="I fell.",
                       attachments=[concerns.NewAttachment("note.pdf", "application/pdf", PDF)])
    entry = concerns.add_entry(session, dsl, school.id, own.id, "note", body="Spoke to mum.")
    shared = make_concern(school, [pupil, other], fact="Both in a fight.")
    contacts.add_contact(session, dsl, school.id, pupil.id, role="social_worker", name="Jo Bell")
    pupil.date_of_birth = dt.date(1999, 1, 1)
    session.flush()
    return dict(school=school, dsl=dsl, pupil=pupil, own=own, entry=entry, shared=shared)


def test_the_content_goes_and_a_tombstone_stays(session, due_file):
    f = due_file
    tomb = retention.destroy(session, f["dsl"], f["school"].id, f["pupil"].id,
                             "Retention ended; reviewed with the DPO", today=TODAY)
    own = session.get(Concern, f["own"].id)
    assert (own.fact, own.child_words, own.occurred_at is not None) == ("", "", True)
    assert session.get(ConcernEntry, f["entry"].id).body == ""
    att = session.scalars(select(Attachment).where(Attachment.concern_id == f["own"].id)).one()
    assert (att.filename, att.data, att.size) == ("", b"", len(PDF))
    assert session.get(Concern, f["shared"].id).fact == "Both in a fight."  # another's file too
    assert tomb.summary == {"concerns": [f["own"].id], "entries": 1, "attachments": 1,
                            "flag_notes": 0, "agency_contacts": 1,
                            "kept_shared": [f["shared"].id]}
    assert (tomb.rule, tomb.rule_years, tomb.review_date) == ("child_protection", 25,
                                                              dt.date(2024, 1, 1))
    detail = session.scalars(select(AuditEntry.detail).where(
        AuditEntry.action == "retention.destroyed")).one()
    assert detail["destruction_id"] == tomb.id and detail["reason"].startswith("Retention")
    assert [d.id for d in retention.destructions(session, f["dsl"], f["school"].id,
                                                 f["pupil"].id)] == [tomb.id]


def test_the_database_still_refuses_anything_but_blanking_a_destroyed_concern(session,
                                                                               due_file):
    f = due_file
    with pytest.raises(DBAPIError):
        with session.begin_nested():
            session.execute(update(Concern).where(Concern.id == f["own"].id).values(fact=""),
                            execution_options={"synchronize_session": False})
    retention.destroy(session, f["dsl"], f["school"].id, f["pupil"].id, "Ended", today=TODAY)
    for sql in ("UPDATE concerns SET occurred_at = recorded_at WHERE id = :id",
                "UPDATE concerns SET fact = 'rewritten' WHERE id = :id",
                "DELETE FROM concerns WHERE id = :id",
                "UPDATE concern_entries SET kind = 'note', body = 'x' WHERE concern_id = :id"):
        with pytest.raises(DBAPIError):
            with session.begin_nested():
                session.execute(text(sql), {"id": f["own"].id})
    with pytest.raises(DBAPIError):  # a concern not destroyed
        with session.begin_nested():
            session.execute(text("UPDATE concerns SET fact = '', child_words = '', opinion = '', "
                                 "location = '', body_map = NULL WHERE id = :id"),
                            {"id": f["shared"].id})


def test_not_before_retention_ends_not_under_a_hold_not_without_a_reason(
        session, due_file, make_user):
    f = due_file
    sid, pid = f["school"].id, f["pupil"].id
    with pytest.raises(ValidationError) as err:
        retention.destroy(session, f["dsl"], sid, pid, "Ended", today=dt.date(2023, 12, 31))
    assert "runs until 1 January 2024" in err.value.errors["pupil"][0]
    retention.set_hold(session, f["dsl"], sid, pid, "IICSA")
    with pytest.raises(ValidationError) as err:
        retention.destroy(session, f["dsl"], sid, pid, "Ended", today=TODAY)
    assert set(err.value.errors) == {"hold"}
    retention.lift_hold(session, f["dsl"], sid, pid, "Over")
    with pytest.raises(ValidationError) as err:
        retention.destroy(session, f["dsl"], sid, pid, " ", today=TODAY)
    assert set(err.value.errors) == {"reason"}
    for role in ("deputy_dsl", "headteacher", "staff"):
        _, other = make_user(role, f["school"])
        with pytest.raises(NotFound):
            retention.destroy(session, other, sid, pid, "Ended", today=TODAY)
    retention.destroy(session, f["dsl"], sid, pid, "Ended", today=TODAY)
    assert session.scalar(select(Destruction.id)) is not None
    due, _ = retention.due_for_review(session, f["dsl"], sid, today=TODAY)
    assert pid in [r.pupil.id for r in due]  # the shared concern still holds their file
    with pytest.raises(ValidationError) as err:
        retention.destroy(session, f["dsl"], sid, pid, "Again", today=TODAY)
    assert "shared with another pupil" in err.value.errors["pupil"][0]
