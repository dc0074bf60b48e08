"""Whatever is sent, the API answers 2xx, 400, 401, 404, 405 or 422 with a JSON body, and a
refused request leaves nothing behind. Never a 500."""
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from core.models import Attachment, Concern, ConcernEntry, ConcernPupil, Pupil

HOSTILE_TEXT = ["", " ", "\x00", "a\x00b", "\ud800", "x" * 30_000, "😀" * 50, "<script>",
                "'; DROP TABLE concerns; --", "9" * 40]
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                      st.text(max_size=30), st.sampled_from(HOSTILE_TEXT),
                      st.integers(min_value=2**31, max_value=2**80))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12)
KEYS = ["pupil_ids", "occurred_at", "fact", "location", "category_ids", "child_words",
        "opinion", "attachments"]
CALM = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _count(session):
    return tuple(session.scalar(select(func.count()).select_from(m))
                 for m in (Concern, ConcernPupil, Attachment))


def concern_bodies(pupil_id):
    """Mostly plausible bodies with hostile values, so both sides of validation are hit."""
    value_for = {
        "pupil_ids": st.one_of(st.just([pupil_id]), json_value,
                               st.lists(st.sampled_from([pupil_id, 0, -1, 2**40]), max_size=3)),
        "occurred_at": st.one_of(st.sampled_from(["2026-10-01T09:00:00", "2026-10-01",
                                                  "2026-13-45T99:00:00", "yesterday",
                                                  "2026-10-01T09:00:00+14:00"]), json_value),
        "fact": st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE_TEXT), json_value),
        "attachments": st.one_of(st.just([]), json_value, st.just([{
            "filename": "a.txt", "content_type": "text/plain", "data": "aGVsbG8="}])),
    }
    body = st.fixed_dictionaries({}, optional={
        k: value_for.get(k, st.one_of(st.sampled_from(HOSTILE_TEXT), json_value)) for k in KEYS})
    return st.one_of(body, json_value,
                     body.flatmap(lambda b: st.dictionaries(st.text(max_size=8), json_value,
                                                            max_size=2).map(lambda x: {**x, **b})))


@pytest.fixture
def world(caller, make_school, make_pupil):
    """Made once per test and shared by its examples (hypothesis reuses the fixtures)."""
    school = make_school()
    return school, make_pupil(school), caller("staff", school)


@given(data=st.data())
@CALM
def test_arbitrary_concern_bodies_are_stored_whole_or_not_at_all(world, session, data):
    school, pupil, staff = world
    body = data.draw(concern_bodies(pupil.id))
    before = _count(session)
    r = staff.post(f"/api/v1/schools/{school.id}/concerns", json=body)
    assert r.status_code in (201, 400, 422), (r.status_code, body)
    assert r.is_json
    after = _count(session)
    if r.status_code == 201:
        assert after[0] == before[0] + 1 and after[1] == before[1] + 1
        assert r.get_json()["fact"] == body["fact"].strip()
    else:
        assert after == before
        errors = r.get_json()["errors"]
        assert errors and all(isinstance(v, (dict, list)) for v in errors.values())


QUERY_TEXT = [t for t in HOSTILE_TEXT if t != "\ud800"]  # a URL cannot carry a lone surrogate


@given(q=st.one_of(st.text(max_size=50), st.sampled_from(QUERY_TEXT)),
       page=st.one_of(st.text(max_size=5), st.integers(-5, 2**40).map(str)))
@CALM
def test_hostile_search_arguments(world, q, page):
    school, pupil, staff = world
    r = staff.get(f"/api/v1/schools/{school.id}/pupils", query_string={"q": q, "page": page})
    assert r.status_code in (200, 422) and r.is_json


def test_undecodable_query_bytes(world):
    school, pupil, staff = world
    r = staff.get(f"/api/v1/schools/{school.id}/pupils?q=%FF%FE%00&page=%C0")
    assert r.status_code in (200, 422) and r.is_json


def test_broken_bodies_and_ids_that_overflow(caller, make_school, make_pupil, session):
    school = make_school()
    pupil = make_pupil(school)
    dsl = caller("dsl", school)
    url = f"/api/v1/schools/{school.id}/concerns"
    for raw in ("{bad json", "", "null", "[1, 2]", "\"text\"", "[" * 50_000 + "]" * 50_000):
        r = dsl.post(url, data=raw, content_type="application/json")
        assert r.status_code in (400, 422) and r.is_json, raw[:20]
    r = dsl.post(url, data="fact=x", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 422
    for path in (f"/api/v1/schools/{2**63}/pupils", f"/api/v1/schools/{school.id}/pupils/{2**64}",
                 f"/api/v1/schools/{school.id}/concerns/{10**30}/entries",
                 f"/api/v1/schools/{school.id}/pupils/{pupil.id}/chronology?start=2026-02-30"):
        r = dsl.get(path) if "entries" not in path else dsl.post(path, json={"kind": "note"})
        assert r.status_code in (404, 422) and r.is_json, path
    assert _count(session) == (0, 0, 0)


def test_signed_out_and_bad_tokens_get_401_json(client, caller, make_school):
    school = make_school()
    for headers in ({}, {"Authorization": "Bearer mat_not-a-token"},
                    {"Authorization": "Basic dXNlcjpwYXNz"}):
        for method, url in (("GET", "/api/v1/schools"),
                            ("POST", f"/api/v1/schools/{school.id}/concerns"),
                            ("PUT", f"/api/v1/schools/{school.id}/concerns/1/entries")):
            r = client.open(url, method=method, headers=headers, json={})
            assert r.status_code == 401 and r.get_json()["code"] == 401, (headers, url)


def test_a_browser_session_needs_the_csrf_header_to_change_anything(client, login_as,
                                                                    make_school, make_pupil,
                                                                    session):
    school = make_school()
    pupil = make_pupil(school)
    login_as("staff", school)
    with client.session_transaction() as signed_in:
        csrf = signed_in["csrf_token"]
    body = {"pupil_ids": [pupil.id], "occurred_at": "2026-10-01T09:00:00", "fact": "Crying"}
    url = f"/api/v1/schools/{school.id}/concerns"
    refused = client.post(url, json=body)
    assert refused.status_code == 400 and "X-CSRF-Token" in refused.get_json()["message"]
    assert client.post(url, json=body, headers={"X-CSRF-Token": "guess"}).status_code == 400
    assert _count(session) == (0, 0, 0)
    assert client.post(url, json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    assert client.get(f"/api/v1/schools/{school.id}/concerns",
                      query_string={"mine": 1}).status_code == 200


ENTRY_KEYS = ["kind", "body", "risk_level", "category_id", "due_date", "referral_to",
              "refers_to_id"]
PUPIL_KEYS = ["upn", "first_name", "last_name", "preferred_name", "date_of_birth", "gender",
              "year_group", "on_roll_from", "address"]


def _bodies(keys, plausible):
    return st.one_of(json_value, st.fixed_dictionaries({}, optional={
        k: st.one_of(plausible.get(k, st.nothing()), st.sampled_from(HOSTILE_TEXT), json_value)
        for k in keys}))


@given(data=st.data())
@CALM
def test_arbitrary_entries_are_appended_whole_or_not_at_all(world, make_concern,
                                                            accounts_token, session, data):
    school, pupil, _ = world
    concern = make_concern(school, [pupil])
    dsl = accounts_token("dsl", school)
    body = data.draw(_bodies(ENTRY_KEYS, {
        "kind": st.sampled_from(["triage", "action", "note", "referral", "closure", "edit"]),
        "risk_level": st.sampled_from(["low", "high", "extreme"]),
        "due_date": st.sampled_from(["2030-01-01", "2020-01-01", "soon"]),
        "referral_to": st.sampled_from(["police", "nhs"])}))
    before = session.scalar(select(func.count()).select_from(ConcernEntry))
    r = dsl.post(f"/api/v1/schools/{school.id}/concerns/{concern.id}/entries", json=body)
    assert r.status_code in (201, 400, 422) and r.is_json, (r.status_code, body)
    after = session.scalar(select(func.count()).select_from(ConcernEntry))
    assert after == before + (1 if r.status_code == 201 else 0)


@given(data=st.data())
@CALM
def test_arbitrary_pupils_are_added_whole_or_not_at_all(world, accounts_token, session, data):
    school, _, _ = world
    admin = accounts_token("school_admin", school)
    body = data.draw(_bodies(PUPIL_KEYS, {
        "upn": st.sampled_from(["P207000016049", "Q207000016049", "p207"]),
        "first_name": st.text(max_size=120), "last_name": st.text(max_size=120),
        "date_of_birth": st.sampled_from(["2016-03-14", "1900-01-01", "2016-02-30"]),
        "year_group": st.integers(-3, 20), "on_roll_from": st.just("2026-09-01")}))
    before = session.scalar(select(func.count()).select_from(Pupil))
    r = admin.post(f"/api/v1/schools/{school.id}/pupils", json=body)
    assert r.status_code in (201, 400, 422) and r.is_json, (r.status_code, body)
    after = session.scalar(select(func.count()).select_from(Pupil))
    assert after == before + (1 if r.status_code == 201 else 0)


@pytest.fixture
def accounts_token(caller):
    """One caller per role and school for the whole test (hypothesis reuses fixtures)."""
    made = {}

    def _get(role, school):
        if (role, school.id) not in made:
            made[role, school.id] = caller(role, school)
        return made[role, school.id]
    return _get
