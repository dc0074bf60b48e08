"""Finding concerns (issue 13): words searched across a concern and its DSL entries within the
caller's access, each filter, pages that neither repeat nor skip, and the audited export."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core import concerns, pupils
from core.calendar import LONDON, london_today
from core.concern_search import (ConcernFilters, export_concerns, find_concerns,
                                 terms_of)
from core.errors import NotFound, ValidationError
from core.models import AuditEntry, Concern, ConcernCategory


def _ids(page):
    return [r.id for r in page.rows]


def _find(session, actor, school, **kw):
    mine = kw.pop("mine", False)
    return _ids(find_concerns(session, actor, school.id, ConcernFilters(**kw), mine=mine,
                              per_page=100))


@pytest.fixture
def world(session, make_school, make_user, make_pupil, make_concern):
    school = make_school()
    _, dsl = make_user("dsl", school)
    staff_user, staff = make_user("staff", school)
    ada = make_pupil(school, first_name="Ada", year_group=3)
    ben = make_pupil(school, first_name="Ben", year_group=6)
    mine = make_concern(school, [ada], actor=staff, fact="Ada had a bruise on her wrist.",
                        child_words="My brother did it", opinion="She seemed frightened",
                        location="Playground")
    other = make_concern(school, [ben], fact="Ben arrived hungry again.")
    concerns.add_entry(session, dsl, school.id, other.id, "note",
                       body="Spoke to mum about the foodbank referral.")
    concerns.add_entry(session, dsl, school.id, mine.id, "note",
                       body="Called children's services duty desk.")
    return type("World", (), dict(school=school, dsl=dsl, staff=staff, staff_user=staff_user,
                                  ada=ada, ben=ben, mine=mine, other=other))


def test_words_are_found_in_the_record_and_in_every_entry(session, world):
    w = world
    assert _find(session, w.dsl, w.school, q="bruise") == [w.mine.id]  # the fact
    assert _find(session, w.dsl, w.school, q="bruised") == [w.mine.id]  # stemmed
    assert _find(session, w.dsl, w.school, q="brother") == [w.mine.id]  # the child's words
    assert _find(session, w.dsl, w.school, q="frightened") == [w.mine.id]  # the opinion
    assert _find(session, w.dsl, w.school, q="playground") == [w.mine.id]  # the location
    assert _find(session, w.dsl, w.school, q="FOODBANK") == [w.other.id]  # an entry's body
    # every word must be found somewhere in the concern, in its record or its entries
    assert _find(session, w.dsl, w.school, q="hungry foodbank") == [w.other.id]
    assert _find(session, w.dsl, w.school, q="hungry wrist") == []
    assert _find(session, w.dsl, w.school, q='"duty desk"') == [w.mine.id]
    assert _find(session, w.dsl, w.school, q='"desk duty"') == []
    assert _find(session, w.dsl, w.school, q="giraffe") == []
    # punctuation alone searches for nothing rather than failing
    assert set(_find(session, w.dsl, w.school, q=" - ")) == {w.mine.id, w.other.id}


def test_a_search_stays_in_its_school(session, world, make_school, make_user, make_pupil,
                                      make_concern):
    elsewhere = make_school(trust=None)
    make_concern(elsewhere, [make_pupil(elsewhere)], fact="Another bruise, another school.")
    assert _find(session, world.dsl, world.school, q="bruise") == [world.mine.id]
    _, their_dsl = make_user("dsl", elsewhere)
    assert len(_find(session, their_dsl, elsewhere, q="bruise")) == 1
    with pytest.raises(NotFound):  # nor may one school's DSL search another's
        _find(session, world.dsl, elsewhere, q="bruise")


def test_staff_search_only_what_they_recorded(session, world, make_user):
    w = world
    assert _find(session, w.staff, w.school, q="bruise", mine=True) == [w.mine.id]
    # a colleague's concern is not theirs to find, even with its own words
    assert _find(session, w.staff, w.school, q="hungry", mine=True) == []
    # nor may a DSL entry on their own concern tell them a word is in it
    assert _find(session, w.staff, w.school, q="duty", mine=True) == []
    with pytest.raises(NotFound):
        _find(session, w.staff, w.school, q="hungry")
    _, colleague = make_user("staff", w.school)
    assert _find(session, colleague, w.school, q="bruise", mine=True) == []
    # what the team made of it is the team's: not shown, and not there to filter by
    concerns.add_entry(session, w.dsl, w.school.id, w.mine.id, "triage", risk_level="high")
    own = find_concerns(session, w.staff, w.school.id, mine=True).rows
    assert [(r.id, r.status, r.risk) for r in own] == [(w.mine.id, None, None)]
    assert find_concerns(session, w.dsl, w.school.id).rows[-1].risk == "high"
    for refused_filter in (dict(risk="high"), dict(status=("open",)),
                           dict(flag="looked_after")):
        with pytest.raises(ValidationError) as refused:
            _find(session, w.staff, w.school, mine=True, **refused_filter)
        assert list(refused.value.errors) == list(refused_filter)


def test_a_search_is_audited_with_its_words_filters_and_count(session, world):
    before = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    find_concerns(session, world.dsl, world.school.id,
                  ConcernFilters(q="bruise", status=("awaiting_triage", "open")))
    entry = session.scalars(select(AuditEntry).where(AuditEntry.id > (before or 0),
                                                     AuditEntry.action == "concern.searched")
                            ).one()
    assert entry.detail == {"filters": {"q": "bruise", "status": ["awaiting_triage", "open"]},
                            "mine": False, "count": 1}


def test_each_filter(session, world, make_concern, make_pupil, make_user):
    w, s, sid = world, session, world.school.id
    neglect, bullying = (s.scalar(select(ConcernCategory.id).where(
        ConcernCategory.trust_id == w.school.trust_id, ConcernCategory.code == code))
        for code in ("neglect", "bullying"))
    early = make_concern(w.school, [w.ben], category_ids=[neglect], fact="Old one",
                         occurred_at=dt.datetime(2026, 3, 29, 0, 30, tzinfo=LONDON))
    late = make_concern(w.school, [w.ada, w.ben], fact="Late one",
                        occurred_at=dt.datetime(2026, 3, 28, 23, 30, tzinfo=LONDON))
    concerns.add_entry(s, w.dsl, sid, late.id, "triage", risk_level="high",
                       category_id=bullying)
    concerns.add_entry(s, w.dsl, sid, late.id, "triage", risk_level="low")  # the latest counts
    concerns.add_entry(s, w.dsl, sid, early.id, "triage", risk_level="high")
    concerns.add_entry(s, w.dsl, sid, early.id, "closure", body="done")
    every = {w.mine.id, w.other.id, early.id, late.id}
    assert set(_find(s, w.dsl, w.school)) == every
    # a category as recorded, or as a DSL entry put it since
    assert _find(s, w.dsl, w.school, category_id=neglect) == [early.id]
    assert _find(s, w.dsl, w.school, category_id=bullying) == [late.id]
    # UK days, inclusive: 29 March 2026 began at 00:00 GMT and the clocks went forward at 01:00
    assert _find(s, w.dsl, w.school, occurred_from=dt.date(2026, 3, 29),
                 occurred_to=dt.date(2026, 3, 29)) == [early.id]
    assert _find(s, w.dsl, w.school, occurred_to=dt.date(2026, 3, 28)) == [late.id]
    assert _find(s, w.dsl, w.school, risk="high") == [early.id]
    assert _find(s, w.dsl, w.school, risk="low") == [late.id]
    assert _find(s, w.dsl, w.school, status=("closed",)) == [early.id]
    assert set(_find(s, w.dsl, w.school, status=("awaiting_triage",))) == {
        w.mine.id, w.other.id}
    assert _find(s, w.dsl, w.school, recorded_by=w.staff_user.id) == [w.mine.id]
    assert set(_find(s, w.dsl, w.school, pupil_id=w.ada.id)) == {w.mine.id, late.id}
    assert set(_find(s, w.dsl, w.school, year_group=6)) == {w.other.id, early.id, late.id}
    today = london_today()
    pupils.set_flag(s, None, sid, w.ada.id, "looked_after", today - dt.timedelta(days=30))
    pupils.set_flag(s, None, sid, w.ben.id, "young_carer", today - dt.timedelta(days=30))
    pupils.end_flag(s, w.dsl, sid, w.ben.id, "young_carer", today - dt.timedelta(days=1))
    assert set(_find(s, w.dsl, w.school, flag="looked_after")) == {w.mine.id, late.id}
    assert _find(s, w.dsl, w.school, flag="young_carer") == []  # ended: not a flag now
    # filters combine
    assert _find(s, w.dsl, w.school, year_group=6, status=("open",), q="late") == [late.id]


@pytest.mark.parametrize("filters, field", [
    (dict(category_id=999_999), "category_id"),
    (dict(occurred_from=dt.date(2026, 5, 2), occurred_to=dt.date(2026, 5, 1)), "occurred_to"),
    (dict(risk="extreme"), "risk"),
    (dict(flag="nope"), "flag"),
    (dict(year_group=15), "year_group"),
    (dict(status=("lost",)), "status"),
    (dict(pupil_id=999_999), "pupil_id"),
    (dict(recorded_by=999_999), "recorded_by"),
    (dict(q="x" * 201), "q"),
])
def test_bad_filters_are_refused_naming_the_field(session, world, filters, field):
    with pytest.raises(ValidationError) as refused:
        find_concerns(session, world.dsl, world.school.id, ConcernFilters(**filters))
    assert list(refused.value.errors) == [field]


def test_bad_pages_are_refused_naming_the_field(session, world):
    for kw, field in ((dict(per_page=101), "per_page"), (dict(per_page=0), "per_page"),
                      (dict(after="not-a-position"), "after"),
                      (dict(before="bm9wZQ"), "before")):
        with pytest.raises(ValidationError) as refused:
            find_concerns(session, world.dsl, world.school.id, **kw)
        assert field in refused.value.errors, kw


def test_another_trusts_category_is_unknown(session, world, make_school):
    other_trust_school = make_school()
    foreign = session.scalar(select(ConcernCategory.id).where(
        ConcernCategory.trust_id == other_trust_school.trust_id))
    with pytest.raises(ValidationError) as refused:
        find_concerns(session, world.dsl, world.school.id, ConcernFilters(category_id=foreign))
    assert "category_id" in refused.value.errors


def test_search_terms():
    assert terms_of('bruise "duty desk"  arm') == [("bruise", False), ("duty desk", True),
                                                   ("arm", False)]
    assert terms_of('- "" !! _ o\u2019brien') == [("o\u2019brien", False)]


def _walk(session, actor, school, per_page, **kw):
    """Every page from the first by the ``next`` positions, then back by ``previous``."""
    pages, after = [], None
    while True:
        page = find_concerns(session, actor, school.id, after=after, per_page=per_page, **kw)
        pages.append(_ids(page))
        if page.next is None:
            break
        after = page.next
    back, before = [_ids(page)], page.previous
    while before is not None:
        page = find_concerns(session, actor, school.id, before=before, per_page=per_page, **kw)
        back.append(_ids(page))
        before = page.previous
    return pages, back[::-1], page.total


def test_pages_neither_repeat_nor_skip_even_at_equal_times(session, make_school, make_user):
    school = make_school(terms=False, plugins=[])
    _, dsl = make_user("dsl", school)
    base = dt.datetime(2026, 10, 1, 9, tzinfo=dt.timezone.utc)

    @settings(max_examples=25, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(offsets=st.lists(st.integers(0, 3), max_size=14), per_page=st.integers(1, 5))
    def check(offsets, per_page):
        saved = session.begin_nested()  # each example starts from an empty school
        for minutes in offsets:  # few distinct times, so many concerns share one
            session.add(Concern(school_id=school.id, trust_id=school.trust_id,
                                occurred_at=base, fact="x",
                                recorded_at=base + dt.timedelta(minutes=minutes)))
        session.flush()
        expected = [c.id for c in session.scalars(
            select(Concern).where(Concern.school_id == school.id)
            .order_by(Concern.recorded_at.desc(), Concern.id.desc()))]
        pages, back, total = _walk(session, dsl, school, per_page)
        saved.rollback()
        assert [i for p in pages for i in p] == expected and total == len(expected)
        assert all(len(p) == per_page for p in pages[:-1]) and len(pages[-1]) <= per_page
        assert back == pages  # previous links lead back through the very same pages

    check()


def test_export_rows_match_the_filtered_list_and_are_audited(session, world, make_concern,
                                                             make_pupil):
    w = world
    evil = make_pupil(w.school, first_name="=HYPERLINK(1)")
    for i in range(3):
        make_concern(w.school, [w.ada, evil], fact=f"Another bruise ({i})")
    wanted = ConcernFilters(q="bruise", pupil_id=w.ada.id)
    listed = find_concerns(session, w.dsl, w.school.id, wanted, per_page=2)
    export = export_concerns(session, w.dsl, w.school.id, wanted)
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0][0] == "Reference" and export.count == listed.total == 4 == len(rows) - 1
    ids = [int(r[0][1:]) for r in rows[1:]]
    assert ids[:2] == _ids(listed)
    assert set(ids) == set(_find(session, w.dsl, w.school, q="bruise", pupil_id=w.ada.id))
    # a name a spreadsheet would run as a formula is written as text
    assert all(not cell.startswith("=") for r in rows for cell in r)
    assert sum(r[3].startswith("'=HYPERLINK") for r in rows) == 3
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "concern.exported")
                            .order_by(AuditEntry.id.desc())).first()
    assert audit.detail == {"filters": {"q": "bruise", "pupil_id": w.ada.id}, "mine": False,
                            "count": 4}
    assert audit.user_id == w.dsl.user_id and audit.school_id == w.school.id


def test_only_the_dsl_team_export_and_their_own_list_exports_only_their_own(
        session, world, make_concern):
    w = world
    with pytest.raises(NotFound):
        export_concerns(session, w.staff, w.school.id, mine=True)
    own = make_concern(w.school, [w.ben], actor=w.dsl, fact="Recorded by the DSL")
    export = export_concerns(session, w.dsl, w.school.id, mine=True)
    assert export.count == 1 and f"C{own.id}" in export.text and f"C{w.mine.id}" not in export.text


@pytest.mark.postgresql_only
def test_postgresql_searches_through_the_gin_indexes(session, backend):
    """The query's expressions are the migration's indexes' (else every search reads every
    concern of the school)."""
    from sqlalchemy import literal_column, text

    from core import concern_search as cs
    from core.models import ConcernEntry

    session.execute(text("SET LOCAL enable_seqscan = off"))
    dialect = session.get_bind().dialect
    for table_name, model, index in (("concerns", Concern, "ix_concerns_search"),
                                     ("concern_entries", ConcernEntry,
                                      "ix_concern_entries_search")):
        doc = literal_column(cs.pg_document(table_name, f"{table_name}."))
        query = select(model.id).where(doc.op("@@")(cs._pg_query("bruise", False)))
        sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        plan = "\n".join(r[0] for r in session.execute(text("EXPLAIN " + sql)))
        assert f"Bitmap Index Scan on {index}" in plan, plan
