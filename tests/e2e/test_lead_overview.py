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
    """Wait until overview.js has put a sparkline in every school's row; how many rows.
    (Waiting also keeps the next click from racing the sparklines' request: on SQLite two
    requests writing audit lines at once can meet "database is locked", see the report.)"""
    rows = page.locator("table.overview tbody tr").count()
    page.locator("td.spark-cell svg.spark").nth(rows - 1).wait_for()
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
    # the sparklines follow the table: overview.js fetches them into every school's row
    rows = _sparklines_in(page)
    assert page.locator("td.spark-cell svg.spark").count() == rows
    label = page.locator("td.spark-cell svg.spark").first.get_attribute("aria-label")
    assert re.search(r"last 6 terms: ([^,]+, ){5}[^,]+$", label)
    page.get_by_role("link", name=re.compile("^Persistent absence")).click()
    page.wait_for_url(re.compile(r"sort=attendance\.pa_pct"))
    _sparklines_in(page)
    first = [_number(t) for t in page.evaluate(FIGURES, "attendance.pa_pct")]
    page.get_by_role("link", name=re.compile("^Persistent absence")).click()
    page.wait_for_url(re.compile(r"dir=asc"))
    _sparklines_in(page)
    shown = [_number(t) for t in page.evaluate(FIGURES, "attendance.pa_pct")]
    have = [v for v in shown if v is not None]
    assert len(have) >= 2 and have == sorted(have)  # ascending now, missing ones last
    assert sorted(v for v in first if v is not None) == have
    page.screenshot(path=str(shots / "lead_overview_1366.png"), full_page=True)

    page.set_viewport_size(PHONE)
    page.goto(demo_live.url + "/trust/overview?period=year")
    _sparklines_in(page)
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
    _sparklines_in(page)
    page.locator("table.overview tbody tr:first-child th.sticky a").click()
    page.wait_for_url(re.compile(r"/trust/schools/\d+$"))
    assert "read-only" in page.locator("h1").inner_text()
    assert page.locator("main form, main button, main input").count() == 0
    ctx.close()
