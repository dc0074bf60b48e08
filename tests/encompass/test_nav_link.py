"""The Operation Encompass link in a school's navigation shows only to people the policy lets
open the inbox: the DSL team and the key adults (an object check), with the second factor."""
from __future__ import annotations

import pytest

from plugins.encompass.models import KeyAdult


@pytest.mark.parametrize("role,shown", [
    ("dsl", True), ("deputy_dsl", True), ("key_adult", True), ("staff", False),
    ("headteacher", False)])
def test_the_link_follows_the_policy(client, session, make_school, login_as, role, shown):
    school = make_school()
    if role == "key_adult":
        user, _ = login_as("staff", school=school)
        session.add(KeyAdult(school_id=school.id, user_id=user.id))
        session.flush()
    else:
        login_as(role, school=school)
    page = client.get(f"/schools/{school.id}/concerns/new")
    assert page.status_code == 200
    assert (f'href="/schools/{school.id}/encompass/"' in page.text) is shown
    assert client.get(f"/schools/{school.id}/encompass/").status_code == (200 if shown else 404)


def test_the_hook_is_given_the_viewer(session, make_school, make_user, host):
    school = make_school()
    _, dsl = make_user("dsl", school=school)
    _, staff = make_user("staff", school=school)
    _, dsl_no_mfa = make_user("dsl", school=school, mfa=False)

    def links(actor):
        return [n.endpoint for n in host.call_for_school(session, school.id, "mat_nav_links",
                                                          actor=actor) if n.plugin == "encompass"]

    assert links(dsl) == ["encompass.inbox"]
    assert links(staff) == [] and links(dsl_no_mfa) == []
