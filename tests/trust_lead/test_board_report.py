"""The termly board report: figures per school and for the trust with small numbers
suppressed by the trust's rule (stated in the report), the lead's narrative (kept per save,
refused when it names a child), and the PDF and Word files, opened and read back: the
suppressed figures are there and no pupil's name or UPN is anywhere in either file."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from tests.trust_lead.documents import docx_tables, docx_xml, pdf_streams, pdf_text

from hypothesis import given
from hypothesis import strategies as st

from core import board_documents, board_report, suppression
from core.calendar import LONDON
from core.errors import NotFound, ValidationError
from core.models import AuditEntry, BoardNarrative
from core.upn import make_upn

AUTUMN = dt.date(2026, 9, 2)  # the conftest calendar's current term
NAMES = [("Zephyrine", "Quaxworth"), ("Ottoline", "Brackenfoss"), ("Peregrine", "Wimbleton"),
         ("Isolde", "Farthingale"), ("Thaddeus", "Crumplehorn")]


@pytest.fixture
def board(session, make_trust, make_school, make_pupil, make_concern, make_user):
    """Alder (12 pupils, 7 concerns this term) and Birch (3 pupils, 2 concerns), pupils with
    distinctive names and UPNs; the trust lead."""
    trust = make_trust("Willowbank Trust")
    alder = make_school(trust, name="Alder Academy")
    birch = make_school(trust, name="Birch Primary")
    people, n = [], 0
    for school, count in ((alder, 12), (birch, 3)):
        for i in range(count):
            first, last = NAMES[n % len(NAMES)]
            upn = make_upn("380", "4000", 2015, 100 + n)
            people.append(make_pupil(school, first_name=f"{first}{chr(65 + n)}",
                                     last_name=last, upn=upn))
            n += 1
    at = dt.datetime(2026, 10, 5, 10, tzinfo=LONDON)
    for p in people[:7]:
        make_concern(alder, [p], occurred_at=at, fact=f"{p.first_name} {p.last_name} was upset.")
    for p in people[12:14]:
        make_concern(birch, [p], occurred_at=at, fact=f"{p.first_name} was hungry.")
    _, lead = make_user("trust_lead", trust=trust)
    lead = lead.__class__(**{**lead.__dict__, "name": "Lee Lead"})
    return dict(trust=trust, alder=alder, birch=birch, pupils=people, lead=lead)


def _row(report, name):
    return next(r for r in [*report.schools, report.trust] if r.name == name).cells


def _prepared(session, board):
    """The report as the page reads it: prepared by the job, then read back."""
    board_report.prepare(board["trust"].id, AUTUMN.isoformat(), board["lead"].user_id)
    report, _ = board_report.latest_report(session, board["lead"], board["trust"].id, AUTUMN)
    return report


def test_small_numbers_are_suppressed_by_the_trusts_rule(session, board):
    assert board_report.latest_report(session, board["lead"], board["trust"].id,
                                      AUTUMN) is None  # nothing prepared yet
    report = _prepared(session, board)
    alder, birch, trust = (_row(report, n) for n in ("Alder Academy", "Birch Primary", "Trust"))
    # Birch's 2 are hidden; Alder's 7 is withheld as well, or 9 - 7 would give Birch's 2
    assert (alder["concerns"], birch["concerns"], trust["concerns"]) == (
        "withheld", "fewer than 5", "9")
    # Alder's rate would give its 7 back from its roll of 12; Birch's 3 pupils are too few for
    # a rate; the trust's 9 of 15
    assert (alder["concerns_per_100"], birch["concerns_per_100"],
            trust["concerns_per_100"]) == ("withheld", "withheld", "60.0")
    assert alder["pupils"] == "12"
    assert alder["referrals"] == "0"
    # adult figures are not suppressed; the DSL's training is a yes or no per school
    assert alder["training.dsl_in_date"] in ("Yes", "No")
    assert trust["training.dsl_in_date"].endswith(" of 2 schools")
    assert report.rule_text.startswith(suppression.describe_rule(suppression.SuppressionRule()))
    # a stricter rule hides Alder's 7 too, and the report says so
    suppression.set_rule(session, board["lead"], board["trust"].id, 10, 20)
    stricter = _prepared(session, board)
    assert _row(stricter, "Alder Academy")["concerns"] == "fewer than 10"
    assert _row(stricter, "Alder Academy")["concerns_per_100"] == "withheld"
    assert "fewer than 10" in stricter.rule_text and "fewer than 20 pupils" in stricter.rule_text
    reads = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "board_report.read").order_by(AuditEntry.id)).all()
    made = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "board_report.prepared").order_by(AuditEntry.id)).all()
    assert len(made) == 2  # each read is of the snapshot just prepared
    assert [r.detail["snapshot"] for r in reads] == [m.detail["snapshot"] for m in made]


def test_the_trend_counts_each_term_under_the_rule(session, board, make_concern):
    spring = dt.datetime(2026, 2, 10, 10, tzinfo=LONDON)
    for p in board["pupils"][:6]:
        make_concern(board["alder"], [p], occurred_at=spring, fact="Spring worry.",
                     recorded_at=spring)
    report = _prepared(session, board)
    assert [t.name for t in report.trend_terms] == ["Spring", "Summer", "Autumn"]
    alder = _row_trend(report, "Alder Academy")
    assert [alder[t.key] for t in report.trend_terms] == ["6", "0", "withheld"]
    birch = _row_trend(report, "Birch Primary")
    assert [birch[t.key] for t in report.trend_terms] == ["0", "0", "fewer than 5"]


def _row_trend(report, name):
    return next(r for r in report.trend if r.name == name).cells


def test_the_documents_carry_the_suppressed_figures_and_no_child(session, board):
    board_report.save_narrative(session, board["lead"], board["trust"].id, AUTUMN,
                                "Neglect themes rose this term.\n\nTwo schools need support.")
    report = _prepared(session, board)
    pdf = board_documents.report_pdf(report, "Lee Lead")
    docx = board_documents.report_docx(report, "Lee Lead")
    assert pdf.startswith(b"%PDF") and docx[:2] == b"PK"
    text = pdf_text(pdf)
    assert "fewer than 5" in text and "withheld" in text and "60.0" in text
    assert "Neglect themes rose this term." in text and report.rule_text[:60] in text
    figures = docx_tables(docx)[0]
    header, *rows = figures
    col = header.index("Concerns recorded")
    assert {r[0]: r[col] for r in rows} == {"Alder Academy": "withheld",
                                           "Birch Primary": "fewer than 5", "Trust": "9"}
    per100 = header.index("Concerns per 100 pupils")
    assert [r[per100] for r in rows] == ["withheld", "withheld", "60.0"]
    assert "58.3" not in text and "next smallest is withheld" in report.rule_text
    everything = (pdf_streams(pdf) + docx_xml(docx)).casefold()
    assert "Two schools need support." .casefold() in everything
    for p in board["pupils"]:
        for identifying in (p.first_name, p.last_name, p.upn):
            assert identifying.casefold() not in everything, identifying


def test_the_narrative_is_kept_per_save_and_may_not_name_a_child(session, board):
    trust_id, lead = board["trust"].id, board["lead"]
    board_report.save_narrative(session, lead, trust_id, AUTUMN, "First thoughts.")
    board_report.save_narrative(session, lead, trust_id, AUTUMN, "Second thoughts.")
    rows = session.scalars(select(BoardNarrative).order_by(BoardNarrative.id)).all()
    assert [r.text for r in rows] == ["First thoughts.", "Second thoughts."]
    assert _prepared(session, board).narrative == "Second thoughts."
    kid = board["pupils"][3]
    for text in (f"We worried about {kid.first_name.upper()} {kid.last_name} this term.",
                 f"See {kid.upn} for detail."):
        with pytest.raises(ValidationError) as caught:
            board_report.save_narrative(session, lead, trust_id, AUTUMN, text)
        assert "narrative" in caught.value.errors
    with pytest.raises(ValidationError) as caught:
        board_report.save_narrative(session, lead, trust_id, AUTUMN, "x" * 20_001)
    assert "20000 characters" in caught.value.errors["narrative"][0]
    with pytest.raises(ValidationError) as caught:
        board_report.save_narrative(session, lead, trust_id, dt.date(2026, 9, 3), "A day in.")
    assert "term" in caught.value.errors
    assert len(session.scalars(select(BoardNarrative)).all()) == 2


def test_only_the_trust_lead_gets_a_report(session, board, make_user):
    _, dsl = make_user("dsl", board["alder"])
    _, admin = make_user("trust_admin", trust=board["trust"])
    _, other_lead = make_user("trust_lead", trust=board["trust"], mfa=False)
    for actor in (dsl, admin, other_lead):
        with pytest.raises(NotFound):
            board_report.build_report(session, actor, board["trust"].id, AUTUMN)
        with pytest.raises(NotFound):
            board_report.latest_report(session, actor, board["trust"].id, AUTUMN)
        with pytest.raises(NotFound):
            board_report.queue_prepare(session, actor, board["trust"].id, AUTUMN)
        with pytest.raises(NotFound):
            board_report.save_narrative(session, actor, board["trust"].id, AUTUMN, "Hello.")


def test_a_third_school_keeps_its_figure_when_a_smaller_one_can_be_withheld(
        session, board, make_school, make_pupil, make_concern):
    cedar = make_school(board["trust"], name="Cedar Infants")
    kids = [make_pupil(cedar, first_name=f"C{n}", last_name="Cedar") for n in range(20)]
    for kid in kids[:12]:
        make_concern(cedar, [kid], fact="A worry.")
    report = _prepared(session, board)
    # Birch's 2 hidden; the smallest other is Alder's 7, withheld; Cedar's 12 stands
    assert [_row(report, n)["concerns"] for n in ("Alder Academy", "Birch Primary",
                                                  "Cedar Infants", "Trust")] == [
        "withheld", "fewer than 5", "12", "21"]
    assert _row(report, "Cedar Infants")["concerns_per_100"] == "60.0"


@given(st.dictionaries(st.integers(1, 60), st.integers(0, 40), min_size=1, max_size=8))
def test_no_hidden_count_can_be_worked_out_from_the_total(counts):
    rule = suppression.SuppressionRule()
    primary = {k for k, n in counts.items() if 0 < n < rule.threshold}
    withheld = primary | board_report.secondary(counts, rule)
    total = sum(counts.values())
    if primary:
        # at least two counts are withheld, so the total gives away only their sum; or every
        # other school has none, and then the total is the hidden count and hidden as well
        assert len(withheld) >= 2 or rule.count(total) == f"fewer than {rule.threshold}"
    else:
        assert withheld == set()  # nothing hidden: nothing withheld needlessly
