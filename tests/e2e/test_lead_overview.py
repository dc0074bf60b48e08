"""The trust lead's overview in headless Chromium on a small demo trust (issue 16): sorting by
a column through its heading, the school column staying put while the table scrolls sideways
at 390 px, trends and the heat map fitting a phone, and a school opening read-only. Screenshots
at 1366 and 390 px go to ``MAT_E2E_SCREENSHOTS`` (or the test's temporary folder)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pyotp
import pytest

from core.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

FIGURES = """(key) => {
  const head = Array.from(document.querySelectorAll('table.overview thead tr:last-child th'));
  const index = head.findIndex(th => (th.querySelector('a') || th).href &&
                                     th.querySelector('a').href.includes('sort=' + key));
  return Array.from(document.querySelectorAll('table.overview tbody tr')).map(tr => {
    const fig = tr.children[index].querySelector('.fig');
    return fig ? fig.textContent.trim() : '';
  });
}"""


def _sparklines_in(page) -> int:
    """Wait until overview.js has filled every school's sparkline cell (a line, or "no
    figures" for a school without any); how many rows."""
    rows = page.locator("table.overview tbody tr").count()
    page.locator("td.spark-cell svg.spark, td.spark-cell .spark-none").nth(rows - 1).wait_for()
    return rows


def _number(text: str) -> float | None:
    m = re.match(r"-?[\d.]+", text)
    return float(m.group()) if m else None


def test_the_lead_sorts_scrolls_at_phone_width_and_opens_a_school(demo_live, demo_browser,
                                                                 tmp_path):
    shots = Path(os.environ.get("MAT_E2E_SCREENSHOTS") or tmp_path)
    ctx = demo_browser.new_context(viewport=DESKTOP)
    page = ctx.new_page()
    page.goto(demo_live.url + "/login")
    page.get_by_label("Email").fill("lead@demo.invalid")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.get_by_label(re.compile("6-digit code")).fill(pyotp.TOTP(DEMO_TOTP_SECRET).now())
    page.locator("main button[type=submit]").click()
    page.wait_for_url(demo_live.url + "/")

    page.goto(demo_live.url + "/trust/overview?period=year")
    # on SQLite the sparklines wait for a click (one writer at a time), then fill every row
    assert page.locator("td.spark-cell svg.spark").count() == 0
    page.locator("a.spark-load").first.click()
    rows = _sparklines_in(page)
    assert page.url.endswith("/trust/overview?period=year")  # filled in place
    assert page.locator("td.spark-cell svg.spark").count() == rows
    label = page.locator("td.spark-cell svg.spark").first.get_attribute("aria-label")
    assert re.search(r"last 6 terms: ([^,]+, ){5}[^,]+$", label)
    page.get_by_role("link", name=re.compile("^Persistent absence")).click()
    page.wait_for_url(re.compile(r"sort=attendance\.pa_pct"))
    first = [_number(t) for t in page.evaluate(FIGURES, "attendance.pa_pct")]
    page.get_by_role("link", name=re.compile("^Persistent absence")).click()
    page.wait_for_url(re.compile(r"dir=asc"))
    shown = [_number(t) for t in page.evaluate(FIGURES, "attendance.pa_pct")]
    have = [v for v in shown if v is not None]
    assert len(have) >= 2 and have == sorted(have)  # ascending now, missing ones last
    assert sorted(v for v in first if v is not None) == have
    page.screenshot(path=str(shots / "lead_overview_1366.png"), full_page=True)

    page.set_viewport_size(PHONE)
    page.goto(demo_live.url + "/trust/overview?period=year")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    wrap = page.locator(".overview-wrap")
    sizes = wrap.evaluate("w => [w.scrollWidth, w.clientWidth]")
    assert sizes[0] > sizes[1] * 2  # the table scrolls inside its box
    school = page.locator("table.overview tbody tr:first-child th.sticky")
    before = school.bounding_box()
    wrap.evaluate("w => w.scrollLeft = w.scrollWidth")
    after = school.bounding_box()
    assert after["x"] == pytest.approx(before["x"], abs=1) and after["width"] > 60
    last_cell = page.locator("table.overview tbody tr:first-child td:last-child").bounding_box()
    assert last_cell["x"] < PHONE["width"]  # scrolled to: the far column is in view
    page.screenshot(path=str(shots / "lead_overview_390_scrolled.png"), full_page=True)

    for route in ("/trust/trends", "/trust/heatmap?period=year"):
        page.goto(demo_live.url + route)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], route
    page.screenshot(path=str(shots / "lead_heatmap_390.png"), full_page=True)

    page.goto(demo_live.url + "/trust/overview?period=year")
    page.locator("table.overview tbody tr:first-child th.sticky a").click()
    page.wait_for_url(re.compile(r"/trust/schools/\d+$"))
    assert "read-only" in page.locator("h1").inner_text()
    assert page.locator("main form, main button, main input").count() == 0
    ctx.close()


def test_on_postgresql_the_sparklines_come_by_themselves(live, browser):
    """The flows' PostgreSQL trust: a trust lead's overview fills its sparklines without a
    click, and opening the next page at once is not refused while they load."""
    import datetime as dt

    from core import accounts
    from core.db import SYSTEM
    from core.models import School, TotpDevice
    from sqlalchemy import select
    from tests.e2e.conftest import PASSWORD

    with live.db.transaction(SYSTEM) as s:
        trust_id = s.scalar(select(School.trust_id).where(School.id == live.school_a))
        u = accounts.create_user(s, "lead@e2e.invalid", "Tess Lead", PASSWORD)
        accounts.grant_role(s, u.id, "trust_lead", trust_id=trust_id)
        s.add(TotpDevice(user_id=u.id, name="phone", secret=live.dsl_secret,
                         confirmed_at=dt.datetime.now(dt.timezone.utc)))
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(live.url + "/login")
    page.get_by_label("Email").fill("lead@e2e.invalid")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label(re.compile("6-digit code")).fill(pyotp.TOTP(live.dsl_secret).now())
    page.locator("main button[type=submit]").click()
    page.wait_for_url(live.url + "/")
    page.goto(live.url + "/trust/overview")
    assert _sparklines_in(page) == 2
    assert page.locator("td.spark-cell svg.spark").count() >= 1  # Brookside has pupils
    page.goto(live.url + "/trust/overview")
    response = page.goto(live.url + "/trust/trends")  # while the sparklines are loading
    assert response.status == 200
