"""Family suggestions in headless Chromium at phone width, on the small demo trust: the
demo's family at one address in three schools is suggested; the Northfield DSL sees their own
child and "a child at <school>", confirms for their school, and the link waits; the other
school's DSL confirms and the children are linked."""
from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from core.db import SYSTEM
from core.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from core.family_suggestions import suggest_family_links
from core.models import FamilyLink, School
from core.models.family_suggestions import FamilySuggestion

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.get_by_label(re.compile("6-digit code")).fill(pyotp.TOTP(DEMO_TOTP_SECRET).now())
    page.locator("main button[type=submit]").click()
    page.wait_for_url(url + "/")


def test_two_dsls_confirm_a_suggestion_across_schools_on_a_phone(demo_live, demo_browser):
    with demo_live.db.transaction(SYSTEM) as s:
        trust_id = s.scalar(select(School.trust_id).where(School.id == demo_live.school_id))
        assert suggest_family_links(s, trust_id).created >= 1
        row = s.scalars(select(FamilySuggestion).where(
            FamilySuggestion.pupil_school_id != FamilySuggestion.related_school_id,
            FamilySuggestion.pupil_school_id == demo_live.school_id)).first()
        other = s.get(School, row.related_school_id)
        other_slug = {"Riverside Primary Academy": "riverside",
                      "Northfield Secondary Academy": "north-secondary"}[other.name]
    ctx = demo_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    _sign_in(page, demo_live.url, "dsl.north-primary@demo.invalid")
    page.goto(f"{demo_live.url}/schools/{demo_live.school_id}/family-suggestions")
    item = page.locator(f"#suggestion-{row.id}")
    assert f"a child at {other.name}" in item.inner_text()
    item.get_by_label("Relation").select_option("sibling")
    item.get_by_role("button", name=re.compile("Confirm for")).click()
    assert "Your school has confirmed" in page.locator(f"#suggestion-{row.id}").inner_text()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    ctx.close()

    ctx = demo_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    _sign_in(page, demo_live.url, f"dsl.{other_slug}@demo.invalid")
    page.goto(f"{demo_live.url}/schools/{other.id}/family-suggestions")
    item = page.locator(f"#suggestion-{row.id}")
    assert "a child at Northfield Primary Academy" in item.inner_text()
    item.get_by_label("Relation").select_option("sibling")
    item.get_by_role("button", name=re.compile("Confirm for")).click()
    assert "now linked as family" in page.inner_text("body")
    ctx.close()
    with demo_live.db.transaction(SYSTEM) as s:
        assert s.scalar(select(FamilyLink.id).where(
            FamilyLink.pupil_id == row.pupil_id,
            FamilyLink.related_pupil_id == row.related_pupil_id)) is not None
