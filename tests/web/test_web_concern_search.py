"""The concerns list page (issue 13): search across concerns and entries, filters with a
message beside a bad one, newer and older pages that keep the filters, the CSV export for the
DSL team, and a member of staff's search of their own concerns."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from core import concerns
from core.models import AuditEntry


def _refs(body: str) -> list[int]:
    return [int(i) for i in re.findall(r">C(\d+)</a>", body)]


@pytest.fixture
def listed(session, world, make_user, make_concern):
    _, dsl = make_user("dsl", world.school)
    concerns.add_entry(session, dsl, world.school.id, world.concern.id, "note",
                       body="Gave the family the uniform bank's number.")
    later = make_concern(world.school, [world.pupil], fact="Hungry at lunch.")
    return later


def test_the_dsl_searches_entries_and_filters(client, as_role, world, listed):
    as_role("dsl")
    url = f"/schools/{world.school.id}/concerns"
    everything = client.get(url).get_data(as_text=True)
    assert _refs(everything) == [listed.id, world.concern.id]
    assert "2 concerns, newest first" in everything
    found = client.get(url, query_string={"q": "uniform"})
    assert found.status_code == 200
    body = found.get_data(as_text=True)
    assert _refs(body) == [world.concern.id] and "1 concern found" in body
    assert 'value="uniform"' in body  # what was searched for stays in the box
    assert _refs(client.get(url, query_string={"q": "hungry"}).get_data(as_text=True)) == [
        listed.id]
    assert "No concerns match this search." in client.get(
        url, query_string={"q": "giraffe"}).get_data(as_text=True)
    assert _refs(client.get(url, query_string={"year_group": 4, "status": "awaiting_triage"})
                 .get_data(as_text=True)) == [listed.id, world.concern.id]
    assert _refs(client.get(url, query_string={"year_group": 6}).get_data(as_text=True)) == []


@pytest.mark.parametrize("query, field, message", [
    ({"occurred_from": "2026-02-30"}, "occurred_from", "Is not a date"),
    ({"occurred_from": "2026-05-02", "occurred_to": "2026-05-01"}, "occurred_to",
     "Must not be before"),
    ({"category_id": "987654"}, "category_id", "Unknown category 987654"),
    ({"per_page": "1000"}, "per_page", "Concerns per page</a>: must be from 1 to 100"),
    ({"risk": "extreme"}, "risk", "Is not one of the choices"),
])
def test_a_bad_filter_is_named_on_the_page(client, as_role, world, listed, query, field,
                                            message):
    as_role("dsl")
    r = client.get(f"/schools/{world.school.id}/concerns", query_string=query)
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert "These filters could not be used" in body and f'href="#{field}"' in body
    assert message in body and _refs(body) == []


def test_pages_go_older_and_newer_keeping_the_filters(client, as_role, world, listed):
    as_role("dsl")
    url = f"/schools/{world.school.id}/concerns"
    first = client.get(url, query_string={"per_page": 1, "year_group": 4}).get_data(as_text=True)
    assert _refs(first) == [listed.id] and "Newer concerns" not in first
    older = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "year_group=4" in older and "per_page=1" in older
    second = client.get(older).get_data(as_text=True)
    assert _refs(second) == [world.concern.id] and 'rel="next"' not in second
    newer = re.search(r'href="([^"]+)" rel="prev"', second).group(1).replace("&amp;", "&")
    assert _refs(client.get(newer).get_data(as_text=True)) == [listed.id]


def test_the_dsl_exports_the_filtered_list_and_it_is_audited(client, as_role, world, listed,
                                                             session):
    user, _ = as_role("dsl")
    page = client.get(f"/schools/{world.school.id}/concerns", query_string={"q": "uniform"})
    assert f'/schools/{world.school.id}/concerns.csv?q=uniform' in page.get_data(as_text=True)
    r = client.get(f"/schools/{world.school.id}/concerns.csv", query_string={"q": "uniform"})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert [row[0] for row in rows] == ["Reference", f"C{world.concern.id}"]
    assert rows[1][3] == "Amelia Okafor"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "concern.exported")
                            .order_by(AuditEntry.id.desc())).first()
    assert entry.user_id == user.id
    assert entry.detail == {"filters": {"q": "uniform"}, "mine": False, "count": 1}
    bad = client.get(f"/schools/{world.school.id}/concerns.csv", query_string={"risk": "x"})
    assert bad.status_code == 422 and "These filters could not be used" in bad.get_data(
        as_text=True)


def test_staff_search_their_own_concerns_only_and_export_nothing(client, as_role, world,
                                                                 listed, make_concern,
                                                                 session):
    user, staff = as_role("staff")
    own = make_concern(world.school, [world.pupil], actor=staff, fact="Upset about the coat.")
    mine = f"/schools/{world.school.id}/concerns/mine"
    assert _refs(client.get(mine, query_string={"q": "coat"}).get_data(as_text=True)) == [
        own.id]  # not the system's concern with the same word
    assert _refs(client.get(mine, query_string={"q": "hungry"}).get_data(as_text=True)) == []
    refused = client.get(mine, query_string={"risk": "high"})
    assert refused.status_code == 422 and "not your own" in refused.get_data(as_text=True)
    for url in (f"/schools/{world.school.id}/concerns.csv",
                f"/schools/{world.school.id}/concerns?q=coat"):
        r = client.get(url)
        assert r.status_code == 404 and "Hungry" not in r.get_data(as_text=True)
