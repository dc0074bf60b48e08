"""Converging signals in headless Chromium on the small demo trust (which seeds a converging
family across two schools): the DSL finds the alert on the dashboard, reads every indicator,
records a decision with the form and finds it in the chronology; the trust lead opens the
family. At 1366 and 390 px no page is wider than the window."""
from __future__ import annotations

import pytest

from tests.e2e.test_phone_layout import PHONE, WIDEST, _sign_in

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1366, "height": 900}


def _fits(page, viewport) -> None:
    m = page.evaluate(WIDEST)
    assert m["scrollWidth"] <= viewport["width"], (page.url, m)


def test_dsl_decides_and_the_lead_sees_the_family(demo_live, demo_browser):
    s = demo_live.school_id
    ctx = demo_browser.new_context(viewport=DESKTOP)
    page = ctx.new_page()
    _sign_in(page, demo_live.url, "dsl.north-primary@demo.invalid")  # once: a code is single-use
    page.goto(f"{demo_live.url}/schools/{s}/dashboard")
    panel = page.locator("#converging")
    assert "Converging signals" in panel.inner_text()
    firing = panel.locator("li a").first.get_attribute("href")
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        for route in (f"/schools/{s}/dashboard", firing, f"/schools/{s}/signals"):
            page.goto(demo_live.url + route)
            _fits(page, viewport)
    page.goto(demo_live.url + firing)
    assert page.locator(".signal-indicators li").count() >= 2
    page.get_by_label("What you decided").select_option("contact_other_dsl")
    page.get_by_label("Why").fill("Rang the secondary DSL: they will see mum at pick-up today.")
    page.get_by_role("button", name="Record the decision").click()
    assert "Decision recorded" in page.content()
    assert "Contact the other school" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Record the decision").count() == 0
    page.locator("h1 .subtitle a").click()  # the pupil's page: the chronology has it
    assert "Converging signals decision: Contact the other school" in page.content()
    _fits(page, PHONE)
    ctx.close()

    ctx = demo_browser.new_context(viewport=DESKTOP)
    page = ctx.new_page()
    _sign_in(page, demo_live.url, "lead@demo.invalid")
    page.goto(f"{demo_live.url}/schools/{s}/dashboard")
    page.get_by_role("link", name="Across the trust, with families").click()
    family = page.get_by_role("link", name="See the family").first.get_attribute("href")
    trust_page = page.url
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        for url in (trust_page, demo_live.url + family):
            page.goto(url)
            _fits(page, viewport)
    assert page.locator("main section.panel h2").count() >= 1
    assert "recorded in the audit log" in page.content()
    ctx.close()
