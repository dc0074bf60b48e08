"""``q``, the filters, pages and the export of ``/api/v1/schools/{id}/concerns`` (issue 13)."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from core import concerns
from core.models import AuditEntry


@pytest.fixture
def listed(session, caller, make_school, make_pupil, make_concern):
    school = make_school()
    staff = caller("staff", school)
    dsl = caller("dsl", school)
    pupil = make_pupil(school, year_group=4)
    own = make_concern(school, [pupil], actor=staff.actor, fact="Limping at break.")
    other = make_concern(school, [make_pupil(school, year_group=2)], fact="Tired every day.")
    concerns.add_entry(session, dsl.actor, school.id, other.id, "note",
                       body="Mum mentioned the night shelter.")
    url = f"/api/v1/schools/{school.id}/concerns"
    return type("Listed", (), dict(school=school, staff=staff, dsl=dsl, own=own, other=other,
                                   url=url, pupil=pupil))


def _ids(resp):
    assert resp.status_code == 200, resp.get_json()
    return [c["id"] for c in resp.get_json()["items"]]


def test_q_finds_words_in_entries_for_the_team_and_in_their_own_record_for_staff(listed):
    x = listed
    assert _ids(x.dsl.get(x.url, query_string={"q": "shelter"})) == [x.other.id]
    assert _ids(x.dsl.get(x.url, query_string={"q": "limping"})) == [x.own.id]
    mine = {"mine": "true"}
    assert _ids(x.staff.get(x.url, query_string={**mine, "q": "limp"})) == [x.own.id]
    assert _ids(x.staff.get(x.url, query_string={**mine, "q": "tired"})) == []
    assert x.staff.get(x.url, query_string={"q": "tired"}).status_code == 404


def test_another_schools_dsl_finds_nothing(listed, caller, make_school):
    outsider = caller("dsl", make_school(trust=listed.school.trust))
    assert outsider.get(listed.url, query_string={"q": "shelter"}).status_code == 404
    assert outsider.get(f"{listed.url}/export").status_code == 404


def test_filters_by_year_group_and_category(listed, session):
    x = listed
    assert _ids(x.dsl.get(x.url, query_string={"year_group": 4})) == [x.own.id]
    category = x.dsl.get(f"/api/v1/schools/{x.school.id}/categories").get_json()[0]["id"]
    concerns.add_entry(session, x.dsl.actor, x.school.id, x.own.id, "triage",
                       risk_level="low", category_id=category)
    assert _ids(x.dsl.get(x.url, query_string={"category_id": category})) == [x.own.id]
    assert _ids(x.dsl.get(x.url, query_string={"risk": "low", "status": "open"})) == [x.own.id]


@pytest.mark.parametrize("query, field", [
    ({"category_id": 987654}, "category_id"),
    ({"occurred_from": "2026-02-30"}, "occurred_from"),
    ({"occurred_from": "2026-05-02", "occurred_to": "2026-05-01"}, "occurred_to"),
    ({"per_page": 500}, "per_page"),
    ({"risk": "extreme"}, "risk"),
    ({"flag": "vip"}, "flag"),
    ({"pupil_id": 987654}, "pupil_id"),
    ({"after": "bm90IGEgcG9zaXRpb24"}, "after"),
])
def test_bad_filters_are_422_naming_the_field(listed, query, field):
    r = listed.dsl.get(listed.url, query_string=query)
    assert r.status_code == 422
    assert list(r.get_json()["errors"]["query"]) == [field]


def test_staff_cannot_filter_their_own_list_by_what_the_team_decided(listed):
    r = listed.staff.get(listed.url, query_string={"mine": "true", "risk": "high"})
    assert r.status_code == 422 and "risk" in r.get_json()["errors"]["query"]


def test_the_export_matches_the_list_and_is_audited(listed, session):
    x = listed
    query = {"q": "tired shelter"}
    r = x.dsl.get(f"{x.url}/export", query_string=query)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert [int(row[0][1:]) for row in rows[1:]] == _ids(x.dsl.get(x.url, query_string=query))
    assert rows[1][5] == "Awaiting triage"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "concern.exported")
                            .order_by(AuditEntry.id.desc())).first()
    assert entry.detail["filters"] == query and entry.detail["count"] == 1
    assert entry.user_id == x.dsl.user.id


def test_staff_export_nothing(listed):
    for query in ({}, {"mine": "true"}):
        r = listed.staff.get(f"{listed.url}/export", query_string=query)
        assert r.status_code == 404 and "Limping" not in r.get_data(as_text=True)
