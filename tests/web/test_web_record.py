"""Recording a concern: the page staff use. Pupils by name search (with and without
JavaScript), categories of the trust, facts kept apart from opinion, attachments, errors
beside each field with nothing typed lost, the confirmation, and "my concerns"."""
from __future__ import annotations

import datetime as dt
import io
import re

from tests.web.conftest import CSRF_VALUE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core.models import Attachment, AuditEntry, Concern, ConcernCategory, ConcernCategoryLink, \
    ConcernPupil


def _url(world, suffix="new"):
    return f"/schools/{world.school.id}/concerns/{suffix}"


def _form(world, **over):
    data = {"csrf_token": CSRF_VALUE, "action": "record", "pupil_ids": [str(world.pupil.id)],
            "occurred_at": "2026-10-12T10:15", "location": "Playground",
            "fact": "Saw a bruise on the left forearm.", "child_words": "My brother did it.",
            "opinion": "I think this is the third time."}
    data.update(over)
    return data


def test_the_form_offers_the_trusts_active_categories_and_a_pupil_search(client, as_role, world,
                                                                          session):
    cats = session.scalars(select(ConcernCategory).where(
        ConcernCategory.trust_id == world.trust.id)).all()
    cats[0].active = False
    session.flush()
    as_role("staff")
    body = client.get(_url(world)).get_data(as_text=True)
    assert cats[1].label in body
    assert f'value="{cats[0].id}"' not in body  # switched off: not offered any more
    assert 'name="q"' in body and 'for="pupil-q"' in body
    assert 'for="fact"' in body and 'for="child_words"' in body and 'for="opinion"' in body
    assert 'type="file"' in body and 'enctype="multipart/form-data"' in body
    assert "record.js" in body


def test_searching_without_javascript_keeps_everything_typed(client, as_role, world):
    as_role("staff")
    resp = client.post(_url(world), data=_form(world, action="search", q="okaf",
                                               pupil_ids=[], fact="Crying at lunch."))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Amelia Okafor" in body
    assert "Kai Okafor" not in body  # the sibling is at the other school
    assert ">Crying at lunch.</textarea>" in body
    assert 'value="2026-10-12T10:15"' in body and 'value="Playground"' in body
    # a ticked pupil stays ticked through a second search
    again = client.post(_url(world), data=_form(world, action="search", q="nobody")) \
        .get_data(as_text=True)
    assert re.search(rf'value="{world.pupil.id}" checked', again)
    assert "No pupil on roll matches" in again


def test_the_json_search_answers_the_script(client, as_role, world):
    as_role("staff")
    data = client.get(_url(world, "pupil-search") + "?q=amel").get_json()
    assert data == {"pupils": [{"id": world.pupil.id, "name": "Amelia Okafor", "year": "Year 4",
                                "legal_name": "Amelia Okafor"}]}
    assert client.get(_url(world, "pupil-search") + "?q=a").get_json() == {"pupils": []}


def test_a_pupil_can_be_preselected_from_a_link(client, as_role, world):
    as_role("dsl")
    body = client.get(_url(world) + f"?pupil_id={world.pupil.id}").get_data(as_text=True)
    assert re.search(rf'name="pupil_ids" value="{world.pupil.id}" checked', body)


def test_recording_stores_fact_words_and_opinion_apart_and_confirms(client, as_role, world,
                                                                   session):
    user, _ = as_role("staff")
    cat = session.scalars(select(ConcernCategory).where(
        ConcernCategory.trust_id == world.trust.id, ConcernCategory.code == "neglect")).one()
    resp = client.post(_url(world), data=_form(world, category_ids=[str(cat.id)]))
    assert resp.status_code == 302
    concern = session.scalars(select(Concern).where(Concern.recorded_by_id == user.id)).one()
    assert (concern.fact, concern.child_words, concern.opinion, concern.location) == (
        "Saw a bruise on the left forearm.", "My brother did it.",
        "I think this is the third time.", "Playground")
    # 10:15 in October is British Summer Time: 09:15 UTC
    assert concern.occurred_at == dt.datetime(2026, 10, 12, 9, 15, tzinfo=dt.timezone.utc)
    assert session.scalars(select(ConcernPupil.pupil_id).where(
        ConcernPupil.concern_id == concern.id)).all() == [world.pupil.id]
    assert session.scalars(select(ConcernCategoryLink.category_id).where(
        ConcernCategoryLink.concern_id == concern.id)).all() == [cat.id]
    page = client.get(resp.location).get_data(as_text=True)
    assert "Concern recorded: thank you" in page and f"C{concern.id}" in page
    assert "Record another concern" in page
    assert "Entries" not in page  # the recorder sees their record, not the case file


def test_errors_show_beside_each_field_and_keep_the_input(client, as_role, world, session):
    as_role("staff")
    before = session.scalar(select(Concern.id).order_by(Concern.id.desc()))
    resp = client.post(_url(world), data=_form(world, pupil_ids=[], fact="  ",
                                               occurred_at="2099-01-01T10:00",
                                               child_words="He said «leave me alone».",
                                               location="x" * 201))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert session.scalar(select(Concern.id).order_by(Concern.id.desc())) == before
    assert re.search(r'id="pupil_ids-error">.*Choose at least one pupil', body)
    assert re.search(r'id="fact-error">.*Say what you saw or heard', body)
    assert re.search(r'id="occurred_at-error">.*Cannot be in the future', body)
    assert re.search(r'id="location-error">.*Must be at most 200 characters', body)
    assert "He said «leave me alone».</textarea>" in body
    assert "I think this is the third time.</textarea>" in body
    assert 'aria-invalid="true"' in body and "Please check 4 things" in body


def test_a_bad_date_is_named_not_a_crash(client, as_role, world):
    as_role("staff")
    resp = client.post(_url(world), data=_form(world, occurred_at="yesterday-ish"))
    assert resp.status_code == 422
    assert "Is not a date and time" in resp.get_data(as_text=True)


def test_an_attachment_is_stored_and_a_refused_one_is_named(client, as_role, world, session):
    user, _ = as_role("staff")
    data = _form(world)
    data["attachments"] = (io.BytesIO(b"%PDF-1.4 body map"), "body map.pdf", "application/pdf")
    resp = client.post(_url(world), data=data, content_type="multipart/form-data")
    assert resp.status_code == 302
    concern = session.scalars(select(Concern).where(Concern.recorded_by_id == user.id)).one()
    att = session.scalars(select(Attachment).where(Attachment.concern_id == concern.id)).one()
    assert (att.filename, att.content_type, att.size) == ("body map.pdf", "application/pdf", 17)
    bad = _form(world)
    bad["attachments"] = (io.BytesIO(b"MZ..."), "run.exe", "application/x-msdownload")
    resp = client.post(_url(world), data=bad, content_type="multipart/form-data")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "run.exe: files of type application/x-msdownload are not accepted" in body
    assert "Choose the file(s) again before you save" in body


def test_my_concerns_lists_only_my_own(client, as_role, world, session, make_concern,
                                       make_user):
    other_staff, other_actor = make_user("staff", school=world.school)
    make_concern(world.school, [world.pupil], actor=other_actor, fact="Someone else's worry.")
    user, _ = as_role("staff")
    client.post(_url(world), data=_form(world, fact="My own worry."))
    mine = session.scalars(select(Concern).where(Concern.recorded_by_id == user.id)).one()
    body = client.get(_url(world, "mine")).get_data(as_text=True)
    assert f"C{mine.id}" in body and "Amelia Okafor" in body
    assert f"C{world.concern.id}<" not in body
    theirs = session.scalars(select(Concern).where(
        Concern.recorded_by_id == other_staff.id)).one()
    assert f"C{theirs.id}<" not in body
    # my own record opens (audited); another's does not
    assert client.get(f"/schools/{world.school.id}/concerns/{mine.id}").status_code == 200
    assert client.get(f"/schools/{world.school.id}/concerns/{theirs.id}").status_code == 404
    assert session.scalars(select(AuditEntry).where(
        AuditEntry.action == "concern.read", AuditEntry.object_id == str(mine.id),
        AuditEntry.user_id == user.id)).first() is not None


def test_another_schools_staff_cannot_record_here(client, as_role, world):
    as_role("staff", school=world.other)
    assert client.get(_url(world)).status_code == 404
    assert client.post(_url(world), data=_form(world)).status_code == 404
    assert client.get(_url(world, "pupil-search") + "?q=okaf").status_code == 404


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                    max_size=60))
def test_whatever_was_typed_comes_back_exactly_after_an_error(client, as_role, world, text):
    """Any text (quotes, angle brackets, accents) is shown back escaped, never lost."""
    from markupsafe import escape

    as_role("staff")
    body = client.post(_url(world), data=_form(world, pupil_ids=[], opinion=text)) \
        .get_data(as_text=True)
    assert f">{escape(text)}</textarea>" in body
