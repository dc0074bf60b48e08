"""What people read on the pages of a seeded school: one UK date format, Europe/London times,
and no internal identifiers. The DSL's (and the school admin's) pages are walked by following
their links from the start page, and the visible text of each (not tags, attributes, input
values, scripts or styles) must hold no ISO date, no "UTC", no "(core)" and no identifier
with underscores such as ``concern_accumulation`` or ``action_done``."""
from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from core import alerts, concerns, pupils

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
IDENTIFIER = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
NOT_TO_FOLLOW = re.compile(r"^/(static|logout)|\.(pdf|json|csv)$|/attachments/|^/api/")


class _Page(HTMLParser):
    """The visible text of a page and the links on it."""

    def __init__(self):
        super().__init__()
        self.text, self.links, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href.split("#", 1)[0])

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def read(html: str) -> tuple[str, list[str]]:
    p = _Page()
    p.feed(html)
    return " ".join(" ".join(p.text).split()), p.links


def wrong_in(text: str) -> list[str]:
    found = ISO_DATE.findall(text) + IDENTIFIER.findall(text)
    found += [w for w in ("UTC", "(core)") if w in text]
    return found


def walk(client, start: str = "/", limit: int = 200) -> dict[str, str]:
    """Every page reachable from ``start`` by links, as visible text by URL."""
    seen, todo, pages = set(), [start], {}
    while todo and len(pages) < limit:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.add(url)
        resp = client.get(url)
        if resp.status_code != 200 or resp.mimetype != "text/html":
            continue
        text, links = read(resp.get_data(as_text=True))
        pages[url] = text
        todo += [u for u in links if u.startswith("/") and not u.startswith("//")
                 and not NOT_TO_FOLLOW.search(u.split("?", 1)[0]) and u not in seen]
    return pages


@pytest.fixture
def seeded(session, world, make_user):
    """The world's school with a DSL's everyday records: a summer concern triaged, an action
    with a due date, a referral and a closure-free note; a flag; enough concerns for the
    core's accumulation alert; an alert from the throwaway plugin."""
    _, dsl = make_user("dsl", school=world.school)
    summer = dt.datetime(2026, 6, 15, 13, 0, tzinfo=dt.timezone.utc)  # 14:00 in London
    c = concerns.record_concern(session, dsl, world.school.id, occurred_at=summer,
                                pupil_ids=[world.pupil.id], fact="Hungry at breakfast club.")
    concerns.add_entry(session, dsl, world.school.id, c.id, "triage", risk_level="medium",
                       created_at=summer + dt.timedelta(hours=1))
    concerns.add_entry(session, dsl, world.school.id, c.id, "action", body="Ring home.",
                       due_date=dt.date(2026, 6, 19), created_at=summer + dt.timedelta(hours=2))
    concerns.add_entry(session, dsl, world.school.id, c.id, "referral", body="Early help.",
                       referral_to="early_help", created_at=summer + dt.timedelta(hours=3))
    now = dt.datetime.now(dt.timezone.utc)
    for days_ago in (1, 2, 3):  # three in a week: the core's accumulation alert
        concerns.record_concern(session, dsl, world.school.id,
                                occurred_at=now - dt.timedelta(days=days_ago),
                                pupil_ids=[world.pupil.id], fact=f"Late and upset ({days_ago}).")
    pupils.set_flag(session, None, world.school.id, world.pupil.id, "young_carer",
                    dt.date(2026, 9, 1), "Cares for mum")
    alerts.raise_alert(session, world.school.id, "tiny_signal_found", "Tiny signal for Amelia",
                       "tiny-1", plugin="tinyweb", pupil_id=world.pupil.id)
    session.flush()
    return c


def test_the_dsl_reads_uk_dates_and_no_internal_names(client, as_role, world, seeded,
                                                      session):
    as_role("dsl")
    pages = walk(client)
    sid = world.school.id
    # the walk reached the pages that show dates and sources
    for must in (f"/schools/{sid}/dashboard", f"/schools/{sid}/alerts",
                 f"/schools/{sid}/concerns/{seeded.id}", f"/schools/{sid}/pupils/"
                 f"{world.pupil.id}"):
        assert must in pages, (must, sorted(pages))
    assert any(u.startswith(f"/schools/{sid}/alerts/") for u in pages)
    bad = {url: wrong_in(text) for url, text in pages.items() if wrong_in(text)}
    assert bad == {}
    concern = pages[f"/schools/{sid}/concerns/{seeded.id}"]
    assert "15 June 2026, 14:00" in concern and "due 19 June 2026" in concern
    assert "Set the action" in concern and "Add set an action" not in concern
    alert_pages = " ".join(t for u, t in pages.items() if "/alerts" in u)
    assert "Tiny web" in alert_pages and "Several concerns in a short time" in alert_pages
    assert "Concerns" in pages[f"/schools/{sid}/alerts"]
    chronology = pages[f"/schools/{sid}/pupils/{world.pupil.id}"]
    assert "15 June 2026, 15:00" in chronology  # the triage, an hour later, in BST


def test_the_school_admin_reads_uk_dates(client, as_role, world):
    as_role("school_admin")
    pages = walk(client)
    assert f"/admin/schools/{world.school.id}" in pages
    assert "3 September 2025 to 19 December 2025" in pages[f"/admin/schools/{world.school.id}"]
    bad = {url: wrong_in(text) for url, text in pages.items() if wrong_in(text)}
    assert bad == {}


def test_the_check_itself_finds_what_it_must():
    text, _ = read('<p>Seen 2026-06-15 13:00 UTC <span>core (concern_accumulation)</span>'
                   '</p><input value="2026-06-15"><script>var x_y = "2026-01-01"</script>'
                   '<p>Recorded by the system (core)</p>')
    assert wrong_in(text) == ["2026-06-15", "concern_accumulation", "UTC", "(core)"]
