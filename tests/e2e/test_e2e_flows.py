"""The issue's end-to-end flows in a real browser: sign in with a second factor, record a
concern as staff, triage it as the DSL and find it in the pupil's chronology, and switch a
plugin off for one school only. Screenshots of the dashboard and the record page are taken
at desktop and phone widths (``MAT_E2E_SCREENSHOTS`` keeps them somewhere to look at)."""
from __future__ import annotations

import re
import time

import pyotp
import pytest

from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def sign_in(page, live, email):
    page.goto(live.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def fresh_code(secret: str) -> str:
    """A code from a 30-second window not used before (the server refuses a replay)."""
    totp = pyotp.TOTP(secret)
    step = int(time.time()) // 30
    while int(time.time()) // 30 == step and fresh_code.last == step:
        time.sleep(0.5)
    fresh_code.last = int(time.time()) // 30
    return totp.now()


fresh_code.last = None


def test_staff_record_then_dsl_signs_in_with_2fa_triages_and_sees_the_chronology(live, browser):
    # --- staff: record a concern, picking the pupil by name search
    staff = browser.new_context(viewport=DESKTOP)
    page = staff.new_page()
    sign_in(page, live, "staff@e2e.invalid")
    page.get_by_role("link", name="Record a concern").first.click()
    assert page.get_by_role("heading", name=re.compile("Record a concern")).is_visible()
    page.screenshot(path=str(live.shots / "record-desktop.png"), full_page=True)
    page.get_by_label("Find a pupil by name").fill("okaf")
    page.get_by_label(re.compile("Amelia Okafor")).check()  # shown by the search script
    page.get_by_label("Where?").fill("Playground")
    page.get_by_label("Neglect").check()
    page.get_by_label("What happened? (facts)").fill("No coat in the rain, third day running.")
    page.get_by_label("The child's own words").fill("Mum says we can't afford one.")
    page.get_by_role("button", name="Save the concern").click()
    assert page.get_by_role("heading", name="Concern recorded: thank you").is_visible()
    reference = re.search(r"C\d+", page.locator(".confirm strong").inner_text()).group(0)
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone_page = phone.new_page()
    sign_in(phone_page, live, "staff@e2e.invalid")
    phone_page.goto(page.url.split("/concerns/")[0] + "/concerns/new")
    phone_page.screenshot(path=str(live.shots / "record-phone.png"), full_page=True)
    phone.close()
    staff.close()

    # --- DSL: password, then the authenticator code
    dsl = browser.new_context(viewport=DESKTOP)
    page = dsl.new_page()
    sign_in(page, live, "dsl@e2e.invalid")
    assert page.get_by_role("heading", name="Enter your code").is_visible()
    page.get_by_label(re.compile("6-digit code")).fill(fresh_code(live.dsl_secret))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="DSL dashboard").first.click()
    awaiting = page.locator("#awaiting")
    assert reference in awaiting.inner_text()
    page.screenshot(path=str(live.shots / "dashboard-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(live.shots / "dashboard-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)

    # --- triage it
    awaiting.get_by_role("link", name=re.compile(reference)).click()
    assert page.get_by_text("Mum says we can't afford one.").is_visible()
    page.locator("#form-triage summary").click()
    page.get_by_label("Risk level").select_option("high")
    page.get_by_role("button", name="Add triage").click()
    assert page.get_by_text("Triage added.").is_visible()
    assert page.locator(".entries").get_by_text("high risk").is_visible()
    page.screenshot(path=str(live.shots / "concern-desktop.png"), full_page=True)

    # --- and see it in the pupil's chronology
    page.locator("dl.facts").get_by_role("link", name="Amelia Okafor").click()
    timeline = page.locator("ol.timeline")
    assert timeline.get_by_text(re.compile(r"Triaged: high risk.* by Dee Lead")).is_visible()
    assert timeline.get_by_text("No coat in the rain, third day running.").is_visible()
    page.screenshot(path=str(live.shots / "pupil-desktop.png"), full_page=True)
    page.get_by_label("Concerns").check()
    page.get_by_role("button", name="Filter").click()
    assert page.locator("ol.timeline").get_by_text(re.compile("Triaged")).count() == 0
    assert page.locator("ol.timeline").get_by_text("No coat in the rain").count() == 1
    dsl.close()


def test_a_plugin_switched_off_for_one_school_disappears_there_only(live, browser):
    ctx = browser.new_context(viewport=DESKTOP)
    page = ctx.new_page()
    sign_in(page, live, "admin@e2e.invalid")
    # a trust admin reads the audit log: the second factor too
    page.get_by_label(re.compile("6-digit code")).fill(fresh_code(live.dsl_secret))
    page.get_by_role("button", name="Continue").click()
    a, b = live.school_a, live.school_b
    assert page.goto(f"{live.url}/schools/{a}/tinyweb/").status == 200
    assert page.goto(f"{live.url}/schools/{b}/tinyweb/").status == 200
    page.goto(live.url + "/")
    page.get_by_role("link", name="Admin").first.click()
    page.get_by_role("link", name="Brookside Primary").click()
    page.get_by_role("button", name="Switch Tiny web off").click()
    assert page.get_by_text("Tiny web is now off for this school.").is_visible()
    resp = page.goto(f"{live.url}/schools/{a}/tinyweb/")
    assert resp.status == 404
    assert page.get_by_role("heading", name="Not found").is_visible()
    resp = page.goto(f"{live.url}/schools/{b}/tinyweb/")
    assert resp.status == 200 and page.get_by_text(f"Tiny page of school {b}").is_visible()
    # and back on
    page.goto(f"{live.url}/admin/schools/{a}")
    page.get_by_role("button", name="Switch Tiny web on").click()
    assert page.goto(f"{live.url}/schools/{a}/tinyweb/").status == 200
    ctx.close()


def test_the_keyboard_reaches_the_content_first(live, browser):
    ctx = browser.new_context(viewport=DESKTOP)
    page = ctx.new_page()
    sign_in(page, live, "staff@e2e.invalid")
    page.wait_for_url(live.url + "/")  # the start page, not the sign-in form still unloading
    page.wait_for_load_state("load")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    ctx.close()
