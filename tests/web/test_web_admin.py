"""Admin pages: schools (URN checked), term dates and closures, people and roles, plugin
switches (audited) and the trust's concern categories (background jobs: in
test_web_admin_jobs.py). Admins never reach case files."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from tests.web.conftest import CSRF_VALUE
from sqlalchemy import select

from core import accounts
from core.db import system_scope
from core.models import (AuditEntry, ConcernCategory, ConcernCategoryLink, Membership,
                         NonSchoolDay, School, Term, User)


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": CSRF_VALUE, **data})


def test_a_school_admin_sees_only_their_school(client, as_role, world):
    as_role("school_admin")
    body = client.get("/admin").get_data(as_text=True)
    assert "Northfield Primary" in body and "Riverside Secondary" not in body
    assert "Add a school" not in body
    assert client.get(f"/admin/schools/{world.other.id}").status_code == 404


def test_the_trust_admin_adds_a_school_with_a_checked_urn(client, as_role, world, session):
    as_role("trust_admin")
    body = client.get("/admin").get_data(as_text=True)
    assert "Northfield Primary" in body and "Riverside Secondary" in body
    resp = _post(client, "/admin/schools", trust_id=world.trust.id, urn="12345",
                 name="Hillside Infant", phase="Primary", la_code="33")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(r'id="urn-error">.*Must be the school&#39;s 6-digit DfE URN', page)
    assert re.search(r'id="la_code-error">.*Must be a 3-digit local authority code', page)
    assert 'value="Hillside Infant"' in page
    resp = _post(client, "/admin/schools", trust_id=world.trust.id, urn="123456",
                 name="Hillside Infant", phase="Primary", la_code="330")
    with system_scope(session, "the new school"):  # see the note in conftest.py
        school = session.scalars(select(School).where(School.urn == "123456")).one()
    assert resp.location.endswith(f"/admin/schools/{school.id}")
    assert school.trust_id == world.trust.id
    dup = _post(client, "/admin/schools", trust_id=world.trust.id, urn="123456", name="Again")
    assert "URN 123456 is already registered" in dup.get_data(as_text=True)


def test_a_school_admin_cannot_add_schools(client, as_role, world):
    as_role("school_admin")
    assert _post(client, "/admin/schools", trust_id=world.trust.id, urn="654321",
                 name="Sneaky").status_code == 404


def test_terms_and_closures(client, as_role, world, session):
    as_role("school_admin")
    base = f"/admin/schools/{world.school.id}"
    assert _post(client, base + "/terms", term_name="Spring 1", start_date="2027-01-05",
                 end_date="2027-02-12").status_code == 302
    resp = _post(client, base + "/terms", term_name="Overlap", start_date="2027-02-01",
                 end_date="2027-02-20")
    assert resp.status_code == 422 and "Overlap overlaps Spring 1" in resp.get_data(as_text=True)
    resp = _post(client, base + "/terms", term_name="", start_date="2027-03-01",
                 end_date="x")
    page = resp.get_data(as_text=True)
    assert re.search(r'id="term_name-error">.*Is required', page)
    assert re.search(r'id="end_date-error">.*Is not a date', page)
    assert 'value="2027-03-01"' in page
    assert _post(client, base + "/closures", date="2027-01-06", reason="INSET day",
                 session="ALL").status_code == 302
    resp = _post(client, base + "/closures", date="2027-01-06", reason="Snow", session="AM")
    assert "2027-01-06 is already marked closed" in resp.get_data(as_text=True)
    body = client.get(base).get_data(as_text=True)
    assert "Spring 1: 5 January 2027 to 12 February 2027" in body and "6 January 2027: INSET day" in body
    assert session.scalar(select(Term.name).where(Term.school_id == world.school.id,
                                                  Term.start_date == dt.date(2027, 1, 5)))
    assert session.scalar(select(NonSchoolDay.reason).where(
        NonSchoolDay.school_id == world.school.id)) == "INSET day"


def test_switching_a_plugin_off_is_audited_and_hides_its_page(client, as_role, world, session,
                                                              host):
    user, _ = as_role("school_admin")
    body = client.get(f"/admin/schools/{world.school.id}").get_data(as_text=True)
    assert "Tiny web" in body and "Switch off" in body
    assert client.get(f"/schools/{world.school.id}/tinyweb/").status_code == 200
    assert _post(client, f"/admin/schools/{world.school.id}/plugins/tinyweb",
                 enabled="0").status_code == 302
    with system_scope(session, "check both schools"):  # see the note in conftest.py
        assert not host.is_enabled(session, world.school.id, "tinyweb")
        assert host.is_enabled(session, world.other.id, "tinyweb")
    assert client.get(f"/schools/{world.school.id}/tinyweb/").status_code == 404
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "plugin.disabled")
                            ).one()
    assert (entry.user_id, entry.school_id, entry.object_id) == (user.id, world.school.id,
                                                                 "tinyweb")
    assert _post(client, f"/admin/schools/{world.school.id}/plugins/nosuch",
                 enabled="1").status_code == 404


def test_people_are_added_given_roles_and_have_them_removed(client, as_role, world, session):
    me, _ = as_role("school_admin")
    base = f"/admin/schools/{world.school.id}"
    resp = _post(client, base + "/people", email="not-an-email", role="staff", name="Nia")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(r'id="email-error">.*Is not a valid email address', page)
    assert 'name="password"' not in page  # nobody chooses another person's password
    # a password sent anyway is ignored: the new person is invited and sets their own
    assert _post(client, base + "/people", email="new.teacher@example.org", role="staff",
                 name="Nia Teacher", password="a long enough password").status_code == 302
    user = session.scalars(select(User).where(User.email == "new.teacher@example.org")).one()
    assert user.password_hash is None
    assert not accounts.check_password(user, "a long enough password")
    # an existing person: just the role
    assert _post(client, base + "/people", email="new.teacher@example.org",
                 role="headteacher").status_code == 302
    roles = session.scalars(select(Membership.role).where(Membership.user_id == user.id)).all()
    assert sorted(roles) == ["headteacher", "staff"]
    body = client.get(base).get_data(as_text=True)
    assert "Nia Teacher" in body and "Headteacher" in body
    m = session.scalars(select(Membership).where(Membership.user_id == user.id,
                                                 Membership.role == "staff")).one()
    assert _post(client, base + f"/roles/{m.id}/revoke").status_code == 302
    assert session.scalars(select(Membership.role).where(Membership.user_id == user.id)
                           ).all() == ["headteacher"]


@pytest.mark.parametrize("role", ["dsl", "deputy_dsl"])
def test_only_a_trust_admin_gives_case_file_roles(client, as_role, world, session, role):
    """A school admin who could make a DSL (a new account with a password they chose, or a
    colleague) could read every case file through it."""
    as_role("school_admin")
    base = f"/admin/schools/{world.school.id}"
    resp = _post(client, base + "/people", email="new.dsl@example.org", role=role,
                 name="New DSL", password="a long enough password")
    assert resp.status_code == 422
    assert "Only a trust admin (with the trust safeguarding lead&#39;s confirmation) can give" \
        in resp.get_data(as_text=True)
    assert session.scalars(select(User).where(User.email == "new.dsl@example.org")).all() == []
    as_role("trust_admin")
    assert _post(client, base + "/people", email="new.dsl@example.org", role=role,
                 name="New DSL").status_code == 302
    user = session.scalars(select(User).where(User.email == "new.dsl@example.org")).one()
    # the role waits for the trust lead (tests/web/test_invitations.py)
    assert session.scalars(select(Membership.role).where(Membership.user_id == user.id)
                           ).all() == []


def test_nobody_changes_their_own_roles(client, as_role, world, session):
    me, _ = as_role("school_admin")
    resp = _post(client, f"/admin/schools/{world.school.id}/people", email=me.email, role="dsl")
    assert resp.status_code == 422
    assert "You cannot change your own roles" in resp.get_data(as_text=True)
    mine = session.scalars(select(Membership).where(Membership.user_id == me.id)).one()
    assert _post(client, f"/admin/schools/{world.school.id}/roles/{mine.id}/revoke"
                 ).status_code == 400


def test_a_role_of_another_school_cannot_be_revoked_from_here(client, as_role, world, session,
                                                              make_user):
    other_staff, _ = make_user("staff", school=world.other)
    m = session.scalars(select(Membership).where(Membership.user_id == other_staff.id)).one()
    as_role("school_admin")
    assert _post(client, f"/admin/schools/{world.school.id}/roles/{m.id}/revoke"
                 ).status_code == 404
    assert session.get(Membership, m.id) is not None


def test_categories_are_added_renamed_and_switched_off_never_deleted(client, as_role, world,
                                                                     session, make_concern):
    neglect = session.scalars(select(ConcernCategory).where(
        ConcernCategory.trust_id == world.trust.id, ConcernCategory.code == "neglect")).one()
    old = make_concern(world.school, [world.pupil], category_ids=[neglect.id])
    as_role("trust_admin")
    base = f"/admin/trusts/{world.trust.id}/categories"
    assert _post(client, base, label="Gang affiliation").status_code == 302
    dup = _post(client, base, label="neglect")
    assert dup.status_code == 422 and "already has a category called" in dup.get_data(as_text=True)
    assert _post(client, f"{base}/{neglect.id}", op="rename",
                 label="Neglect (including dental)").status_code == 302
    assert _post(client, f"{base}/{neglect.id}", op="deactivate").status_code == 302
    session.expire_all()
    cat = session.get(ConcernCategory, neglect.id)
    assert (cat.label, cat.active, cat.code) == ("Neglect (including dental)", False, "neglect")
    # the old concern keeps its category
    assert session.scalar(select(ConcernCategoryLink.category_id).where(
        ConcernCategoryLink.concern_id == old.id)) == neglect.id
    new = session.scalars(select(ConcernCategory).where(
        ConcernCategory.label == "Gang affiliation")).one()
    assert new.code == "gang_affiliation" and new.active
    as_role("staff")
    form = client.get(f"/schools/{world.school.id}/concerns/new").get_data(as_text=True)
    assert "Gang affiliation" in form and "Neglect (including dental)" not in form
    assert session.scalars(select(AuditEntry.action).where(
        AuditEntry.action.like("category.%")).order_by(AuditEntry.id)).all() == [
        "category.added", "category.renamed", "category.deactivated"]


def test_the_dashboard_setting_is_checked(client, as_role, world, session):
    as_role("trust_admin")
    url = f"/admin/trusts/{world.trust.id}/settings"
    resp = _post(client, url, open_too_long_days="0")
    assert resp.status_code == 422
    assert "Must be between 1 and 365 days" in resp.get_data(as_text=True)
    assert _post(client, url, open_too_long_days="14").status_code == 302
    from core.schools import trust_setting
    assert trust_setting(session, world.trust.id, "dashboard", {}) == {"open_too_long_days": 14}


def test_the_school_page_asks_for_the_next_term_before_the_calendar_runs_out(
        client, as_role, world):
    from web.views.admin.schools import calendar_running_out

    as_role("school_admin")
    base = f"/admin/schools/{world.school.id}"
    # the world's terms end on 18 December 2026, which has passed or is near
    page = client.get(base).get_data(as_text=True)
    assert "The terms entered end on 18 December 2026. Enter the next term" in page
    assert _post(client, base + "/terms", term_name="Far ahead", start_date="2027-01-05",
                 end_date="2099-07-20").status_code == 302
    assert "Enter the next term" not in client.get(base).get_data(as_text=True)

    class T:  # a term as the page reads it
        def __init__(self, end):
            self.end_date = end
    terms = [T(dt.date(2026, 7, 22)), T(dt.date(2026, 12, 18))]
    assert calendar_running_out(terms, dt.date(2026, 11, 19)) is None  # 4 weeks and a day
    assert calendar_running_out(terms, dt.date(2026, 11, 21)) == dt.date(2026, 12, 18)
    assert calendar_running_out(terms, dt.date(2027, 1, 4)) == dt.date(2026, 12, 18)
    assert calendar_running_out([], dt.date(2027, 1, 4)) is None


def test_how_deadlines_are_counted_is_a_checked_trust_setting(client, as_role, world, session):
    from core.schools import deadline_day_count

    as_role("trust_admin")
    page = client.get(f"/admin/trusts/{world.trust.id}").get_data(as_text=True)
    assert 'name="deadline_days"' in page and "platform's reading" in page
    url = f"/admin/trusts/{world.trust.id}/settings"
    resp = _post(client, url, open_too_long_days="28", deadline_days="weeks")
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert 'id="deadline_days-error"' in body and "Is not one of the choices" in body
    assert deadline_day_count(session, world.trust.id) == "school"
    assert _post(client, url, open_too_long_days="28",
                 deadline_days="calendar").status_code == 302
    assert deadline_day_count(session, world.trust.id) == "calendar"
    # a form without the field (an older page) leaves the choice as it was
    assert _post(client, url, open_too_long_days="28").status_code == 302
    assert deadline_day_count(session, world.trust.id) == "calendar"


def test_trust_roles_are_granted_by_the_trust_admin(client, as_role, world, session):
    as_role("trust_admin")
    assert _post(client, f"/admin/trusts/{world.trust.id}/people", email="head@example.org",
                 name="Tessa Admin", role="trust_admin").status_code == 302
    user = session.scalars(select(User).where(User.email == "head@example.org")).one()
    m = session.scalars(select(Membership).where(Membership.user_id == user.id)).one()
    assert (m.role, m.trust_id, m.school_id) == ("trust_admin", world.trust.id, None)
    resp = _post(client, f"/admin/trusts/{world.trust.id}/people", email="x@example.org",
                 role="staff")
    assert resp.status_code == 422


@pytest.mark.parametrize("role", ["school_admin", "trust_admin"])
def test_admins_never_reach_case_files(client, as_role, world, role):
    as_role(role)
    sid = world.school.id
    for url in (f"/schools/{sid}/concerns/{world.concern.id}", f"/schools/{sid}/concerns",
                f"/schools/{sid}/dashboard", f"/schools/{sid}/pupils/{world.pupil.id}",
                f"/schools/{sid}/pupils/{world.pupil.id}/chronology.pdf",
                f"/schools/{sid}/concerns/new"):
        assert client.get(url).status_code == 404, url
    body = client.get(f"/admin/schools/{sid}").get_data(as_text=True)
    assert "Arrived without a coat" not in body and "Okafor" not in body
