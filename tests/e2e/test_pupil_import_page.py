"""Onboarding a school's pupils in a real browser: upload a CSV export on the imports page,
read the preview, confirm it; the page fits a desktop (1366 px) and a phone (390 px)."""
from __future__ import annotations

import re

import pytest

from tests.e2e.test_e2e_flows import fresh_code, sign_in

pytestmark = pytest.mark.browser
CSV = ("Legal surname,Legal forename,Date of birth,Year group,UPN,Contact 1 surname,"
       "Contact 1 parental responsibility\n"
       "Okafor,Amelia,04/03/2017,4,,Okafor,Yes\n"
       "Nowak,Oliver,04/03/2017,4,,Nowak,Yes\n"
       "Begum,Aisha,12/11/2018,2,,Begum,Yes\n")


def _fits(page, width: int) -> None:
    widest = page.evaluate("document.documentElement.scrollWidth")
    assert widest <= width, f"the page is {widest} px wide at {width} px"


def test_upload_preview_and_confirm_at_desktop_and_phone_width(live, browser, tmp_path):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    sign_in(page, live, "admin@e2e.invalid")
    page.get_by_label(re.compile("6-digit code")).fill(fresh_code(live.dsl_secret))
    page.get_by_role("button", name="Continue").click()
    page.goto(f"{live.url}/schools/{live.school_a}/roll/imports")
    export = tmp_path / "students.csv"
    export.write_text(CSV, encoding="utf-8")
    page.get_by_label("MIS export").set_input_files(str(export))
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_selector("text=Preview ready")
    text = page.inner_text("main")
    assert "1 to add" in text.replace("\n", " ") and "Grace Hughes" in text  # left?
    _fits(page, 1366)
    page.screenshot(path=str(live.shots / "import-preview-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    _fits(page, 390)
    page.screenshot(path=str(live.shots / "import-preview-phone.png"), full_page=True)
    page.get_by_role("button", name="Confirm import").click()
    page.wait_for_selector("text=Imported")
    page.goto(f"{live.url}/schools/{live.school_a}/roll/imports")
    _fits(page, 390)
    assert "Grace Hughes" in page.inner_text("#left")
    page.screenshot(path=str(live.shots / "imports-phone.png"), full_page=True)
    ctx.close()
