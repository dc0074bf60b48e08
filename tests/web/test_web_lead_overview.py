"""The trust lead's overview at a glance (issue 16): figures against the trust median and
England in words and symbols, sorting, chosen column groups, yes/no as words, the export's
suppression, the read-only school dashboard. A throwaway plugin (``leadfig``) gives each
school figures the test sets, so every expected value below is worked out here by hand."""
from __future__ import annotations

import csv
import io
import re
import statistics

import pytest
from hypothesis import given, strategies as st
from sqlalchemy import select

from core import hookimpl, suppression
from core.contributions import Metric, MetricDefinition, Panel, PluginInfo
from core.models import AuditEntry
from core.plugins import make_host, use_host
from core.suppression import SuppressionRule
from web.views.overview.export import shown_value
from tests.web.conftest import tinyweb

NAME = "leadfig"
NATIONAL_ABSENT = 15.0


class LeadFig:
    """Figures per school name: ``absent_pct`` (a % over pupils, lower is better, England
    15%), ``dsl_ok`` (yes/no, yes is better) and ``waiting`` (a count, lower is better)."""

    def __init__(self):
        self.figures: dict[str, dict[str, float | None]] = {}

    @hookimpl
    def mat_plugin_info(self):
        return PluginInfo(NAME, "Lead figures", "Figures the overview tests set")

    @hookimpl
    def mat_metric_definitions(self):
        return [MetricDefinition(NAME, "absent_pct", "Absent", "%", NATIONAL_ABSENT, False,
                                 base="core.pupils"),
                MetricDefinition(NAME, "dsl_ok", "DSL in date", "", None, True, yes_no=True),
                MetricDefinition(NAME, "waiting", "Waiting", "", None, False)]

    @hookimpl
    def mat_trust_metrics(self, session, school_id, start, end):
        from core.models import School

        name = session.get(School, school_id).name
        return [Metric(NAME, school_id, k, v) for k, v in self.figures.get(name, {}).items()]

    @hookimpl
    def mat_dashboard_panels(self, session, school_id, actor):
        return [Panel(NAME, "Lead figures panel",
                      "<p class='leadfig'>Three files waiting</p>"
                      "<form method='post' action='/leadfig/act'><input name='x'>"
                      "<button type='submit'>Act now</button></form>")]


@pytest.fixture
def leadfig():
    return LeadFig()


@pytest.fixture
def host(leadfig):
    h = make_host(load_entry_points=False,
                  extra=[(tinyweb.NAME, tinyweb.TinyWeb()), (NAME, leadfig)])
    use_host(h)
    yield h
    use_host(None)


@pytest.fixture
def trio(world, make_school, make_pupil, leadfig, session):
    """Three schools of the world's trust with figures; Northfield has 1 pupil, Riverside 1,
    Westgate 12 (so only Westgate's rate may leave the platform under the default rule)."""
    third = make_school(trust=world.trust, name="Westgate Academy")
    for _ in range(12):
        make_pupil(third)
    leadfig.figures.update({
        "Northfield Primary": {"absent_pct": 30.0, "dsl_ok": 0, "waiting": 3},
        "Riverside Secondary": {"absent_pct": 10.0, "dsl_ok": 1, "waiting": 0},
        "Westgate Academy": {"absent_pct": 20.0, "dsl_ok": 1, "waiting": 7},
    })
    session.flush()
    return third


def _row(body: str, school: str) -> str:
    return re.search(rf'<th scope="row" class="sticky"><a [^>]*>{school}</a></th>(.*?)</tr>',
                     body, re.S).group(1)


def _cell(body: str, school: str, label_index: int) -> str:
    """The ``label_index``-th figure cell of a school's row (after the sparkline)."""
    cells = re.findall(r'<td class="num[^"]*"[^>]*>.*?</td>', _row(body, school), re.S)
    return cells[label_index]


def _visible(cell: str) -> str:
    cell = re.sub(r'<span class="visually-hidden">.*?</span>', "", cell)
    return " ".join(re.sub(r"<.*?>", " ", cell).split())


def _order(body: str) -> list[str]:
    tbody = body[body.index("<tbody>"):body.index("</tbody>")]
    return re.findall(r'<th scope="row" class="sticky"><a [^>]*>(.*?)</a>', tbody)


def _columns(body: str) -> list[str]:
    head = body[body.index("<thead>"):body.index("</thead>")]
    return [re.sub(r"<.*?>|[▲▼]", "", h).strip() for h in
            re.findall(r'<th scope="col" class="num"[^>]*>(.*?)</th>', head, re.S)]


def test_each_figure_against_the_median_and_england_in_words(client, as_role, trio):
    as_role("trust_lead")
    body = client.get("/trust/overview?period=year").get_data(as_text=True)
    cols = _columns(body)
    absent, dsl, waiting = cols.index("Absent"), cols.index("DSL in date"), cols.index("Waiting")
    median = statistics.median([30.0, 10.0, 20.0])  # 20: Westgate sits on it
    assert median == 20.0
    north = _cell(body, "Northfield Primary", absent)
    assert "tone-worse" in north  # lower is better: 30% is worse than the median
    assert _visible(north) == "30% ▲ worse Eng ▲ worse"
    assert f"10% above the trust median ({median:g}%), worse" in north
    assert f"15% above England ({NATIONAL_ABSENT:g}%), worse" in north
    river = _cell(body, "Riverside Secondary", absent)
    assert "tone-better" in river and _visible(river) == "10% ▼ better Eng ▼ better"
    west = _cell(body, "Westgate Academy", absent)
    assert "tone-" not in west and _visible(west) == "20% = level Eng ▲ worse"
    # yes/no: a word, never 1 or 0; "No" where yes is wanted reads worse, with the word
    assert _visible(_cell(body, "Northfield Primary", dsl)) == "No worse"
    assert "tone-worse" in _cell(body, "Northfield Primary", dsl)
    assert _visible(_cell(body, "Riverside Secondary", dsl)) == "Yes better"
    # a count: 7 waiting against a median of 3
    assert _visible(_cell(body, "Westgate Academy", waiting)) == "7 ▲ worse"
    foot = body[body.index('<tr class="median-row">'):]
    assert "2 of 3 yes" in foot[:foot.index("</tr>")]
    # England's line is drawn on the chart of a column that has one, and labelled
    chart = client.get("/trust/overview?period=year&chart=leadfig.absent_pct") \
        .get_data(as_text=True)
    assert re.search(r'<line class="threshold"[^>]*stroke-dasharray', chart)
    assert "England 15%" in chart


def test_sort_by_any_column_either_way_without_script(client, as_role, trio, leadfig):
    leadfig.figures["Riverside Secondary"].pop("absent_pct")  # no figure: last both ways
    as_role("trust_lead")

    def order(q):
        return _order(client.get(f"/trust/overview?period=year&{q}").get_data(as_text=True))

    assert order("sort=leadfig.absent_pct&dir=desc") == [
        "Northfield Primary", "Westgate Academy", "Riverside Secondary"]
    assert order("sort=leadfig.absent_pct&dir=asc") == [
        "Westgate Academy", "Northfield Primary", "Riverside Secondary"]
    assert order("sort=leadfig.waiting&dir=asc") == [
        "Riverside Secondary", "Northfield Primary", "Westgate Academy"]
    assert order("sort=school&dir=desc") == [
        "Westgate Academy", "Riverside Secondary", "Northfield Primary"]
    assert order("sort=nonsense") == [
        "Northfield Primary", "Riverside Secondary", "Westgate Academy"]
    body = client.get("/trust/overview?period=year&sort=leadfig.waiting&dir=desc") \
        .get_data(as_text=True)
    assert 'aria-sort="descending"' in body
    # the heading's link turns the order round, keeping the period
    link = re.search(r'<a href="\?([^"]*)">Waiting', body).group(1).replace("&amp;", "&")
    assert "dir=asc" in link and "period=year" in link and "sort=leadfig.waiting" in link


def test_column_groups_are_chosen_and_remembered_for_that_person(client, as_role, trio,
                                                                  login_as, world):
    as_role("trust_lead")
    body = client.get("/trust/overview?period=year&cols=1&group=core").get_data(as_text=True)
    assert "Absent" not in _columns(body) and "Open cases" in _columns(body)
    again = client.get("/trust/overview?period=year").get_data(as_text=True)
    assert "Absent" not in _columns(again)  # remembered
    both = client.get("/trust/overview?cols=1&group=core&group=leadfig").get_data(as_text=True)
    assert "Absent" in _columns(both) and "Tiny visits" not in _columns(both)
    login_as("trust_lead", trust=world.trust)  # another lead on the same browser
    other = client.get("/trust/overview?period=year").get_data(as_text=True)
    assert "Absent" in _columns(other) and "Tiny visits" in _columns(other)


@given(st.integers(min_value=0, max_value=500), st.integers(min_value=3, max_value=20),
       st.data())
def test_an_exported_count_and_rate_follow_the_rule(n, threshold, data):
    minimum = data.draw(st.integers(min_value=threshold, max_value=200))
    pupils = data.draw(st.integers(min_value=0, max_value=400))
    rule = SuppressionRule(threshold, minimum)
    count = MetricDefinition("x", "n", "N", "")
    rate = MetricDefinition("x", "r", "R", "%", base="core.pupils")
    per100 = MetricDefinition("x", "p", "P", "per 100")
    row = {"core.pupils": pupils}
    assert shown_value(count, n, row, rule) == (
        f"fewer than {threshold}" if 0 < n < threshold else n)
    for d in (rate, per100):
        assert shown_value(d, 12.5, row, rule) == (
            "withheld" if pupils < minimum or pupils == 0 else 12.5)


def _figures(row: list[str]) -> list:
    """A row's cells with numbers read as numbers (a spreadsheet keeps 40.0 as 40)."""
    def read(c):
        try:
            return float(c)
        except ValueError:
            return c
    return [read(c) for c in row]


def test_the_export_is_suppressed_and_says_so(client, as_role, trio, session, world):
    user, _ = as_role("trust_lead")
    resp = client.get("/trust/overview.csv?period=year")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    head = rows[0]
    by_school = {r[0]: dict(zip(head, r)) for r in rows[1:4]}
    # pupils: Northfield 1 and Riverside 1 (fewer than 5), Westgate 12
    assert by_school["Northfield Primary"]["Pupils on roll"] == "fewer than 5"
    assert by_school["Westgate Academy"]["Pupils on roll"] == "12"
    # a rate over fewer than 10 pupils is withheld; Westgate's 12 pupils let it through
    assert by_school["Northfield Primary"]["Absent (%)"] == "withheld"
    assert by_school["Westgate Academy"]["Absent (%)"] == "20.0"
    assert by_school["Northfield Primary"]["Waiting"] == "fewer than 5"  # 3
    assert by_school["Riverside Secondary"]["Waiting"] == "0"  # zero identifies nobody
    assert by_school["Westgate Academy"]["Waiting"] == "7"
    assert by_school["Northfield Primary"]["DSL in date"] == "No"
    assert [suppression.describe_rule(SuppressionRule())] in rows
    # the XLSX holds the same figures
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get("/trust/overview.xlsx?period=year").data))
    sheet = [[("" if c is None else str(c)) for c in r] for r in book["Overview"].iter_rows(
        values_only=True)]
    assert sheet[0] == head
    assert [_figures(r[:len(head)]) for r in sheet[1:4]] == [_figures(r) for r in rows[1:4]]
    assert book["Overview"].freeze_panes == "B2"
    exported = session.scalars(select(AuditEntry.detail).where(
        AuditEntry.action == "trust.overview_exported", AuditEntry.user_id == user.id)).all()
    assert [d["format"] for d in exported] == ["csv", "xlsx"]


def test_the_trusts_own_rule_applies_to_the_export(client, as_role, trio, session, world):
    _, lead = as_role("trust_lead")
    suppression.set_rule(session, lead, world.trust.id, 8, 20)
    session.flush()
    rows = list(csv.reader(io.StringIO(
        client.get("/trust/overview.csv?period=year").get_data(as_text=True).lstrip("\ufeff"))))
    by_school = {r[0]: dict(zip(rows[0], r)) for r in rows[1:4]}
    assert by_school["Westgate Academy"]["Waiting"] == "fewer than 8"  # 7
    assert by_school["Westgate Academy"]["Absent (%)"] == "withheld"  # 12 pupils < 20
    assert [suppression.describe_rule(SuppressionRule(8, 20))] in rows


def test_a_school_opens_read_only_for_the_lead_and_is_audited(client, as_role, trio, world,
                                                              session):
    user, _ = as_role("trust_lead")
    body = client.get("/trust/overview?period=year").get_data(as_text=True)
    link = f'/trust/schools/{world.school.id}'
    assert f'href="{link}">Northfield Primary</a>' in body
    page = client.get(link)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Three files waiting" in text and "Lead figures panel" in text
    assert "/leadfig/act" not in text and "Act now" not in text and "name='x'" not in text
    # the tiles: the world's one concern awaits triage
    assert re.search(r'<span class="num">1</span> awaiting triage', text)
    assert session.scalars(select(AuditEntry).where(
        AuditEntry.action == "dashboard.lead_read", AuditEntry.user_id == user.id,
        AuditEntry.school_id == world.school.id)).one()


@pytest.mark.parametrize("role", ["dsl", "headteacher", "trust_admin", "staff"])
def test_the_lead_pages_refuse_everyone_else(client, as_role, world, role):
    as_role(role)
    for url in ("/trust/overview", "/trust/trends", "/trust/heatmap",
                f"/trust/schools/{world.school.id}", "/trust/overview.csv",
                "/trust/overview.xlsx"):
        assert client.get(url).status_code == 404, (role, url)


def test_a_lead_of_another_trust_sees_none_of_this_one(client, login_as, make_trust, world):
    login_as("trust_lead", trust=make_trust())
    for url in (f"/trust/schools/{world.school.id}", f"/trust/overview.csv?trust={world.trust.id}",
                f"/trust/trends?trust={world.trust.id}",
                f"/trust/heatmap?trust={world.trust.id}"):
        assert client.get(url).status_code == 404, url


def test_without_a_second_factor_the_lead_is_refused(client, as_role, world):
    as_role("trust_lead", mfa=False)
    assert client.get(f"/trust/schools/{world.school.id}").status_code == 404
    assert client.get("/trust/overview.csv").status_code == 404


def test_trends_give_each_terms_figure_per_school_and_the_median(client, as_role, trio):
    as_role("trust_lead")
    resp = client.get("/trust/trends?metric=leadfig.waiting&from=2025&to=2025")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    table = body[body.index('<table class="trend-table">'):]
    heads = re.findall(r'<th scope="col" class="num">(.*?)</th>', table[:table.index("</thead>")])
    assert heads == ["Autumn 2025/26", "Spring 2025/26", "Summer 2025/26"]

    def figures(name):
        row = re.search(rf'<th scope="row"[^>]*>{name}</th>(.*?)</tr>', table, re.S).group(1)
        return re.findall(r'<td class="num[^"]*">(.*?)</td>', row)

    assert figures("Westgate Academy") == ["7"] * 3
    assert figures("Riverside Secondary") == ["0"] * 3
    assert figures("Trust median") == [f"{statistics.median([3, 0, 7]):g}"] * 3
    assert '<svg class="chart"' in body and "Trust median" in body[:body.index("<table")]


@pytest.mark.parametrize("query, field", [
    ("from=1999&to=2025", "from"), ("from=2026&to=2025", "to"), ("from=2022&to=2026", "to"),
    ("metric=leadfig.nothing", "metric")])
def test_trends_refuse_bad_choices_naming_the_field(client, as_role, trio, query, field):
    as_role("trust_lead")
    resp = client.get(f"/trust/trends?{query}")
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert f'id="{field}-error"' in body


def test_a_heat_map_cell_drills_into_the_schools_list_audited(client, as_role, world, session,
                                                               make_pupil):
    from core import concerns
    from core.calendar import LONDON
    from core.models import ConcernCategory
    import datetime as dt

    neglect = session.scalar(select(ConcernCategory).where(
        ConcernCategory.trust_id == world.trust.id, ConcernCategory.code == "neglect"))
    for day in (3, 4):
        concerns.record_concern(session, None, world.school.id, pupil_ids=[world.pupil.id],
                                fact="Hungry again.", category_ids=[neglect.id],
                                occurred_at=dt.datetime(2026, 10, day, 9, tzinfo=LONDON))
    session.flush()
    user, _ = as_role("trust_lead")
    body = client.get("/trust/heatmap?period=custom&start=2026-09-01&end=2026-12-18") \
        .get_data(as_text=True)
    # Northfield: 1 pupil, 2 neglect concerns -> 200 per 100 pupils
    link = re.search(rf'<a href="(/trust/heatmap/schools/{world.school.id}/categories/'
                     rf'{neglect.id}[^"]*)"[^>]*>200<span class="count">2 concerns', body)
    assert link, "the Northfield neglect cell with its rate, count and drill link"
    drill = client.get(link.group(1).replace("&amp;", "&"))
    assert drill.status_code == 302
    assert (f"/schools/{world.school.id}/concerns?category_id={neglect.id}"
            f"&occurred_from=2026-09-01&occurred_to=2026-12-18") in drill.location
    listed = client.get(drill.location).get_data(as_text=True)
    assert re.search(r'<p class="count" role="status">2 concerns', listed)
    drilled = session.scalars(select(AuditEntry.detail).where(
        AuditEntry.action == "trust.heatmap_drilled", AuditEntry.user_id == user.id)).one()
    assert drilled["category"] == "neglect"


def test_the_drill_is_the_leads_alone(client, as_role, login_as, make_trust, world, session):
    from core.models import ConcernCategory

    cat = session.scalar(select(ConcernCategory.id).where(
        ConcernCategory.trust_id == world.trust.id))
    url = (f"/trust/heatmap/schools/{world.school.id}/categories/{cat}"
           f"?start=2026-09-01&end=2026-12-18")
    for role in ("dsl", "trust_admin", "headteacher"):
        as_role(role)
        assert client.get(url).status_code == 404, role
    other = make_trust()
    foreign = session.scalar(select(ConcernCategory.id).where(
        ConcernCategory.trust_id == other.id))
    as_role("trust_lead")
    assert client.get(url.replace(f"categories/{cat}", f"categories/{foreign}")) \
        .status_code == 404  # another trust's category
    bad = client.get(url.replace("start=2026-09-01", "start=nonsense"))
    assert bad.status_code == 422 and "start" in bad.get_data(as_text=True)
    backwards = client.get(url.replace("start=2026-09-01", "start=2026-12-19"))
    assert backwards.status_code == 422 and "end: must be on or after" in \
        backwards.get_data(as_text=True)
    export = client.get("/trust/overview.csv?period=custom&start=2026-10-31&end=2026-10-01")
    assert export.status_code == 422 and "end: must be on or after" in \
        export.get_data(as_text=True)
    login_as("trust_lead", trust=other)
    assert client.get(url).status_code == 404


def test_the_lead_sets_the_trusts_small_number_rule(client, as_role, world, session):
    from tests.web.conftest import CSRF_VALUE

    as_role("trust_lead")
    page = client.get("/trust/suppression").get_data(as_text=True)
    assert suppression.describe_rule(SuppressionRule()).replace('"', "&#34;") in page
    bad = client.post("/trust/suppression", data={"threshold": "2", "min_denominator": "10",
                                                  "csrf_token": CSRF_VALUE})
    assert bad.status_code == 422
    assert re.search(r'id="threshold-error"><span>Must be between 3 and 20', bad.get_data(
        as_text=True))
    assert suppression.rule_for(session, world.trust.id) == SuppressionRule()
    ok = client.post("/trust/suppression", data={"threshold": "6", "min_denominator": "25",
                                                 "csrf_token": CSRF_VALUE})
    assert ok.status_code == 302
    assert suppression.rule_for(session, world.trust.id) == SuppressionRule(6, 25)


@pytest.mark.parametrize("role", ["dsl", "trust_admin"])
def test_nobody_else_sees_or_sets_the_rule(client, as_role, world, session, role):
    from tests.web.conftest import CSRF_VALUE

    as_role(role)
    assert client.get("/trust/suppression").status_code == 404
    assert client.post("/trust/suppression", data={"threshold": "6", "min_denominator": "25",
                                                   "csrf_token": CSRF_VALUE}).status_code == 404
    assert suppression.rule_for(session, world.trust.id) == SuppressionRule()


def test_sparklines_come_after_the_table_with_six_terms(client, as_role, trio, session, world):
    user, _ = as_role("trust_lead")
    first = client.get("/trust/overview?period=year&chart=leadfig.waiting").get_data(as_text=True)
    assert '<svg class="spark"' not in first
    assert 'data-spark-url="?period=year&amp;chart=leadfig.waiting&amp;spark=1"' in first
    assert 'class="spark-load" href="?period=year&amp;chart=leadfig.waiting&amp;spark=1"' in first
    # fetched at once on PostgreSQL; on SQLite (one writer at a time) when asked for
    assert ('data-spark-auto="1"' in first) == (session.get_bind().dialect.name != "sqlite")
    reads = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "trust.overview_read", AuditEntry.user_id == user.id)).all()
    assert len(reads) == 1  # the page alone reads the overview once
    full = client.get("/trust/overview?period=year&chart=leadfig.waiting&spark=1") \
        .get_data(as_text=True)
    # the figure is the same every term, so each of the six terms reads it
    assert 'aria-label="Westgate Academy, Waiting, last 6 terms: 7, 7, 7, 7, 7, 7"' in full
    assert 'aria-label="Riverside Secondary, Waiting, last 6 terms: 0, 0, 0, 0, 0, 0"' in full
    reads = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "trust.overview_read", AuditEntry.user_id == user.id)).all()
    assert len(reads) == 1 + 1 + 6  # that page, and this one with its six terms
