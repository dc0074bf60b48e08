"""The navigation leads each person to the pages they may use, and only those: the trust lead
to the trust's converging signals and the role requests waiting for them, a school's DSL team
to its converging signals; the links open pages that answer, and no one else is shown them."""
from __future__ import annotations

import re

import pytest


def _links(html: str) -> dict[str, str]:
    return {label.strip(): href for href, label in
            re.findall(r'<a[^>]*href="([^"]+)"[^>]*>([^<]+)</a>', html)}


def test_the_trust_leads_links_open_the_trusts_signals_and_role_requests(client, as_role,
                                                                         world):
    as_role("trust_lead")
    links = _links(client.get("/").get_data(as_text=True))
    assert links["Converging signals"] == f"/trust/{world.trust.id}/signals"
    assert links["Role requests"] == f"/admin/trusts/{world.trust.id}/role-requests"
    for label in ("Converging signals", "Role requests"):
        assert client.get(links[label]).status_code == 200, label


@pytest.mark.parametrize("role", ["trust_admin", "dsl", "staff"])
def test_no_one_else_sees_the_trust_leads_links(client, as_role, role):
    as_role(role)
    links = _links(client.get("/").get_data(as_text=True))
    assert "Role requests" not in links
    assert not any(href.startswith("/trust/") and href.endswith("/signals")
                   for href in links.values())


@pytest.mark.parametrize("role,shown", [("dsl", True), ("deputy_dsl", True), ("staff", False),
                                        ("school_admin", False)])
def test_a_schools_signals_are_linked_for_its_dsl_team_only(client, as_role, world, role,
                                                            shown):
    as_role(role)
    sid = world.school.id
    # a page of the school each of them opens, carrying the school's links
    opens = {"dsl": "dashboard", "deputy_dsl": "dashboard", "staff": "concerns/new",
             "school_admin": "roll"}[role]
    answer = client.get(f"/schools/{sid}/{opens}")
    assert answer.status_code == 200
    links = _links(answer.get_data(as_text=True))
    assert any(href.startswith(f"/schools/{sid}/") for href in links.values())
    assert (links.get("Converging signals") == f"/schools/{world.school.id}/signals") is shown
