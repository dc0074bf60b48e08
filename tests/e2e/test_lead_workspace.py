"""The trust lead's workspace in headless Chromium on a small demo trust (issue 16): families
across schools and one family's chronology, the board report gathered and downloaded, and a
case study drafted from a pupil's page, each at 1366 px and at 390 px wide (no page wider
than the phone), signed in once as the lead with a second factor."""
from __future__ import annotations

import re

import pyotp
import pytest

from core.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET

pytestmark = pytest.mark.browser
WIDTHS = (1366, 390)


def _fits(page, width: int, what: str) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{what} is {scroll} px wide at {width} px"


def test_the_lead_uses_families_board_report_and_case_studies(demo_live, demo_browser):
    url = demo_live.url
    page = demo_browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.goto(url + "/login")
    page.get_by_label("Email").fill("lead@demo.invalid")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.get_by_label(re.compile("6-digit code")).fill(pyotp.TOTP(DEMO_TOTP_SECRET).now())
    page.locator("main button[type=submit]").click()
    page.wait_for_url(url + "/")

    # families across schools, then one family's chronology
    page.get_by_role("link", name="Families", exact=True).click()
    page.wait_for_url(url + "/trust/families")
    first = page.locator(".family-card h3 a").first
    assert re.match(r"Family of \d+ children at [2-9] schools", first.inner_text())
    first.click()
    page.wait_for_url(re.compile(r".*/trust/families/\d+.*"))
    assert page.get_by_role("heading", name=re.compile("Family chronology")).is_visible()
    assert page.locator("ol.timeline li").count() >= 1
    family_url = page.url
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for route in ("/trust/families", family_url.removeprefix(url)):
            page.goto(url + route)
            _fits(page, width, route)

    # the board report: gather the figures, then the preview and both downloads
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(url + "/trust/board-report")
    page.get_by_role("button", name="Gather the figures").click()
    page.wait_for_url(re.compile(r".*/trust/board-report\?.*"))
    assert page.get_by_role("heading", name="The report as the board will read it").is_visible()
    assert page.get_by_text("Counts from 1 to 4 are shown as").is_visible()
    with page.expect_download() as pdf:
        page.get_by_role("link", name="PDF").click()
    assert pdf.value.suggested_filename.endswith(".pdf")
    report_url = page.url.removeprefix(url)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url + report_url)
        _fits(page, width, "the board report")

    # a case study from the first pupil's page: drafted without the pupil's name
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{url}/schools/{demo_live.school_id}/pupils/{demo_live.pupil_id}")
    name = page.locator("h1").first.inner_text().split("\n")[0].strip()
    page.get_by_role("button", name="Draft a case study from this chronology").click()
    page.wait_for_url(re.compile(r".*/trust/case-studies/\d+$"))
    events = page.get_by_label("Key events").input_value()
    assert events.startswith("Day ") and "(week " in events
    for word in name.split():
        if len(word) > 2:
            assert not re.search(rf"\b{re.escape(word)}\b", events, re.I), word
    study_url = page.url.removeprefix(url)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url + study_url)
        _fits(page, width, "a case study")

