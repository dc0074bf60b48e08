"""Matching a waiting child by hand: a searchable picker (name as people type it, date of
birth, year group) instead of the whole roll, and a date of birth that differs from the
notification's stops at a warning that needs a confirmation and a reason; both audited."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.errors import NotFound, ValidationError
from core.models import AuditEntry
from plugins.encompass import service
from plugins.encompass.models import EncompassChild, EncompassStep

CSRF = "test-csrf-token"  # what the shared login_as fixture puts in the session


@pytest.fixture
def waiting(session, make_school, make_pupil, make_user, make_key_adult, payload):
    """A school whose police notification names "Zoe Obrien", born 3 March 2020, whom the
    matcher could not place: on roll are Zoë O'Brien born 2017 (year 4), Chloé Smith-Jones
    born 2020 (reception) and Zac Obrien born 3 March 2020."""
    school = make_school()
    zoe = make_pupil(school, first_name="Zoë", last_name="O'Brien",
                     date_of_birth=dt.date(2017, 6, 1), year_group=4)
    chloe = make_pupil(school, first_name="Chloé", last_name="Smith-Jones",
                       date_of_birth=dt.date(2020, 3, 3), year_group=0)
    zac = make_pupil(school, first_name="Zac", last_name="Obrien",
                     date_of_birth=dt.date(2020, 3, 3), year_group=0)
    _, dsl = make_user("dsl", school=school)
    _, key_adult = make_key_adult(school)
    n = service.log_notification(session, dsl, school.id, payload(
        police_reference="PK-1", children=[{"first_name": "Zoey", "last_name": "Obrian-Kerr",
                                           "date_of_birth": "2020-03-03"}])).notification
    child = session.scalar(select(EncompassChild).where(EncompassChild.notification_id == n.id))
    assert child.match == "unmatched"
    return dict(school=school, zoe=zoe, chloe=chloe, zac=zac, dsl=dsl, key_adult=key_adult,
                n=n, child=child)


def _audits(session, action):
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                .order_by(AuditEntry.id)))


# --- the service -------------------------------------------------------------------------

def test_the_picker_searches_the_roll_as_people_type(session, waiting):
    w = waiting
    find = lambda **kw: [p.last_name for p in service.find_pupil_for_child(  # noqa: E731
        session, w["dsl"], w["school"].id, w["child"].id, **kw).results]
    # opened with nothing asked: the pupils born on the notification's date of birth
    assert sorted(find()) == ["Obrien", "Smith-Jones"]
    assert sorted(find(q="O’Brien")) == ["O'Brien", "Obrien"]
    assert find(q="zoe obrien") == ["O'Brien"]
    assert find(q="chloe smith jones") == ["Smith-Jones"]
    assert find(q="obrien", year_group=0) == ["Obrien"]
    assert find(q="obrien", date_of_birth=dt.date(2017, 6, 1)) == ["O'Brien"]
    assert find(q="%") == [] and find(q="_") == []
    with pytest.raises(NotFound):  # matching is the DSL team's, not the key adult's
        service.find_pupil_for_child(session, w["key_adult"], w["school"].id, w["child"].id)


def test_a_different_date_of_birth_needs_a_confirmation_and_a_reason(session, waiting):
    w = waiting
    school_id, child = w["school"].id, w["child"]
    with pytest.raises(service.DobDiffers) as first:
        service.match_by_hand(session, w["dsl"], school_id, child.id, w["zoe"].id)
    assert "confirm_dob" in first.value.errors
    assert "1 June 2017" in first.value.errors["confirm_dob"][0]
    assert "3 March 2020" in first.value.errors["confirm_dob"][0]
    assert first.value.pupil.id == w["zoe"].id and first.value.relation == "different"
    with pytest.raises(service.DobDiffers) as no_reason:
        service.match_by_hand(session, w["dsl"], school_id, child.id, w["zoe"].id, "  ",
                              confirm_dob=True)
    assert set(no_reason.value.errors) == {"note"}
    # nothing was matched, no step written, nothing audited as a match
    assert child.match == "unmatched" and child.pupil_id is None
    assert not session.scalars(select(EncompassStep).where(
        EncompassStep.notification_id == w["n"].id, EncompassStep.kind == "matched")).all()
    assert _audits(session, "encompass.child_matched") == []
    service.match_by_hand(session, w["dsl"], school_id, child.id, w["zoe"].id,
                          "Mum confirmed by phone: the police had the sibling's date",
                          confirm_dob=True)
    assert (child.match, child.pupil_id) == ("matched", w["zoe"].id)
    [matched] = _audits(session, "encompass.child_matched")
    assert matched.detail["dob_override"] is True
    assert (matched.detail["dob_given"], matched.detail["dob_on_roll"]) == (
        "2020-03-03", "2017-06-01")
    [override] = _audits(session, "encompass.match_dob_override")
    assert override.detail["reason"].startswith("Mum confirmed by phone")
    assert override.user_id == w["dsl"].user_id
    step = session.scalar(select(EncompassStep).where(
        EncompassStep.notification_id == w["n"].id, EncompassStep.kind == "matched"))
    assert "dates of birth differ" in step.body and "Mum confirmed" in step.body


def test_the_same_date_of_birth_matches_without_a_warning(session, waiting):
    w = waiting
    service.match_by_hand(session, w["dsl"], w["school"].id, w["child"].id, w["zac"].id)
    assert w["child"].pupil_id == w["zac"].id
    [matched] = _audits(session, "encompass.child_matched")
    assert (matched.detail["dob"], matched.detail["dob_override"]) == ("same", False)
    assert _audits(session, "encompass.match_dob_override") == []


def test_day_and_month_swapped_is_a_difference_too(session, waiting, make_pupil):
    w = waiting
    w["child"].date_of_birth = dt.date(2020, 4, 3)  # 3 April, as a US-style 04/03
    session.flush()
    swapped = make_pupil(w["school"], first_name="Zoey", last_name="Kerr",
                         date_of_birth=dt.date(2020, 3, 4))
    with pytest.raises(service.DobDiffers) as exc:
        service.match_by_hand(session, w["dsl"], w["school"].id, w["child"].id, swapped.id)
    assert exc.value.relation == "swapped"
    assert w["child"].match == "unmatched"


def test_no_date_of_birth_given_needs_no_confirmation(session, waiting):
    w = waiting
    w["child"].date_of_birth = None
    session.flush()
    service.match_by_hand(session, w["dsl"], w["school"].id, w["child"].id, w["zoe"].id)
    [matched] = _audits(session, "encompass.child_matched")
    assert (matched.detail["dob"], matched.detail["dob_override"]) == ("unknown", False)


def test_an_overlong_note_is_refused_naming_the_field(session, waiting):
    w = waiting
    with pytest.raises(ValidationError) as exc:
        service.match_by_hand(session, w["dsl"], w["school"].id, w["child"].id, None, "x" * 501)
    assert set(exc.value.errors) == {"note"}


# --- the pages -----------------------------------------------------------------------------

def _url(w, suffix=""):
    return f"/schools/{w['school'].id}/encompass/children/{w['child'].id}/match{suffix}"


def test_the_picker_page_works_without_javascript(client, waiting, login_as):
    w = waiting
    login_as("dsl", school=w["school"])
    opened = client.get(_url(w)).get_data(as_text=True)
    # born on the notification's date: Chloé and Zac, marked as the same date of birth
    assert "Smith-Jones, Chloé" in opened and "Obrien, Zac" in opened
    assert "O&#39;Brien, Zoë" not in opened
    assert 'value="2020-03-03"' in opened  # the date of birth it searched, shown in the form
    assert opened.count("same date of birth") == 2
    found = client.get(_url(w, "?q=O%E2%80%99Brien&dob=&year=")).get_data(as_text=True)
    assert "O&#39;Brien, Zoë" in found and "Obrien, Zac" in found
    assert "date of birth differs" in found  # Zoë, born 2017
    assert "Smith-Jones" not in found
    # the queue's search sent empty: the opening list again, not nothing
    empty = client.get(_url(w, "?q=")).get_data(as_text=True)
    assert "Smith-Jones, Chloé" in empty and "O&#39;Brien, Zoë" not in empty
    nobody = client.get(_url(w, "?q=%25")).get_data(as_text=True)
    assert "No pupil on roll matches this search." in nobody
    bad = client.get(_url(w, "?q=zoe&dob=31-31-2020&year=99"))
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "is not a date" in text and "choose a year group from the list" in text
    assert "O&#39;Brien, Zoë" in text  # the name still searched
    live = client.get(_url(w, "?q=chloe"), headers={"X-Live-Search": "1"})
    fragment = live.get_data(as_text=True)
    assert "<html" not in fragment and "Search the roll" not in fragment
    assert 'id="results"' in fragment and "Smith-Jones, Chloé" in fragment


def test_the_page_warns_and_needs_confirmation_before_matching(client, waiting, login_as,
                                                              fresh):
    w = waiting
    login_as("dsl", school=w["school"])
    first = client.post(_url(w), data={"csrf_token": CSRF, "pupil_id": str(w["zoe"].id)})
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "the dates of birth differ" in html
    assert "1 June 2017" in html and "3 March 2020" in html
    assert 'name="confirm_dob"' in html and 'name="note"' in html
    assert fresh().get(EncompassChild, w["child"].id).match == "unmatched"
    unticked = client.post(_url(w), data={"csrf_token": CSRF, "pupil_id": str(w["zoe"].id),
                                          "step": "confirm", "note": "Checked with mum"})
    assert unticked.status_code == 422
    assert "Confirmation:" in unticked.get_data(as_text=True)
    assert "Checked with mum" in unticked.get_data(as_text=True)  # the reason is kept
    no_reason = client.post(_url(w), data={"csrf_token": CSRF, "pupil_id": str(w["zoe"].id),
                                           "step": "confirm", "confirm_dob": "yes"})
    assert no_reason.status_code == 422 and "Reason:" in no_reason.get_data(as_text=True)
    assert fresh().get(EncompassChild, w["child"].id).match == "unmatched"
    done = client.post(_url(w), data={"csrf_token": CSRF, "pupil_id": str(w["zoe"].id),
                                      "step": "confirm", "confirm_dob": "yes",
                                      "note": "Checked with mum"})
    assert done.status_code == 302
    s = fresh()
    child = s.get(EncompassChild, w["child"].id)
    assert (child.match, child.pupil_id) == ("matched", w["zoe"].id)
    [override] = _audits(s, "encompass.match_dob_override")
    assert override.detail["reason"] == "Checked with mum"


def test_recording_without_a_choice_names_the_field(client, waiting, login_as):
    w = waiting
    login_as("dsl", school=w["school"])
    r = client.post(_url(w), data={"csrf_token": CSRF, "q": "zoe", "dob": "", "year": ""})
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "Pupil: choose a pupil" in text and "O&#39;Brien, Zoë" in text
    r = client.post(_url(w), data={"csrf_token": CSRF, "pupil_id": "none"})
    assert r.status_code == 422 and "Note: say why this child is not a pupil here" in \
        r.get_data(as_text=True)
