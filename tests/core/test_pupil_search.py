"""Pupil search finds names as people type them: accents, case, apostrophes (straight and
curly), hyphens and spaces do not matter; ``%`` and ``_`` are looked for as themselves. In SQL,
on SQLite and PostgreSQL, through the stored search key (kept by the ORM, back-filled by the
migration)."""
from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from alembic.script import ScriptDirectory
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import insert, select, text

from core import pupils
from core.db import SYSTEM, Database
from core.migrate import alembic_config, upgrade
from core.models import Pupil
from core.names import fold, pupil_search_key, search_form
from core.plugins import make_host

ACCENTS = ["\u0301", "\u0300", "\u0308", "\u0302", "\u0327", "\u030c", "\u0303"]
# letters that do not decompose, and how they are typed on a plain keyboard
SPECIAL = {"ø": "o", "æ": "ae", "ß": "ss", "ł": "l", "œ": "oe"}
JOINERS = ["-", "'", "\u2019", "\u2018", " ", "\u2010"]


@st.composite
def names(draw):
    """(the name as the school holds it, the name typed in plain ASCII). Parts of a name are
    joined by hyphens, apostrophes or spaces; letters carry accents, some are special
    letters; the case is mixed."""
    held, typed = [], []
    for i in range(draw(st.integers(1, 3))):
        if i:
            joiner = draw(st.sampled_from(JOINERS))
            held.append(joiner)
            # people type a joiner as it is, as a space, or leave it out
            typed.append(draw(st.sampled_from(["", " ", "'" if joiner != " " else " ",
                                               "-" if joiner != " " else " "])))
        for _ in range(draw(st.integers(1, 8))):
            if draw(st.integers(0, 9)) == 0:
                ch = draw(st.sampled_from(sorted(SPECIAL)))
                held.append(ch.upper() if draw(st.booleans()) and ch != "ß" else ch)
                typed.append(SPECIAL[ch])
                continue
            base = draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz"))
            upper = draw(st.booleans())
            marks = draw(st.lists(st.sampled_from(ACCENTS), max_size=2))
            held.append(unicodedata.normalize("NFC", (base.upper() if upper else base)
                                              + "".join(marks)))
            typed.append(base.upper() if draw(st.booleans()) else base)
    return "".join(held), "".join(typed)


@pytest.fixture
def roll(session, make_school, make_user, make_pupil):
    """A school with a few pupils who must not turn up for the names searched."""
    school = make_school(plugins=())
    for first, last in (("Amelia", "Okafor"), ("Kai", "Marsh"), ("Priya", "Shah")):
        make_pupil(school, first_name=first, last_name=last)
    _, dsl = make_user("dsl", school=school)
    return school, dsl


def _found(session, dsl, school, q, **kw) -> set[str]:
    return {f"{p.first_name} {p.last_name}"
            for p in pupils.search_pupils(session, dsl, school.id, q, limit=50, **kw)}


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=names(), last=names(), case=st.sampled_from([str.lower, str.upper, str.title]))
def test_a_name_is_found_by_its_normalised_and_its_plain_ascii_typing(session, roll, first,
                                                                     last, case):
    school, dsl = roll
    (first_held, first_typed), (last_held, last_typed) = first, last
    savepoint = session.begin_nested()
    try:
        p = pupils.add_pupil(session, None, school.id, first_name=first_held,
                             last_name=last_held, date_of_birth=dt.date(2017, 5, 1),
                             year_group=3, on_roll_from=dt.date(2025, 9, 1))
        for q in (search_form(last_held), case(last_typed), case(first_typed),
                  f"{case(first_typed)} {case(last_typed)}",
                  f"{search_form(first_held)} {search_form(last_held)}"):
            if not search_form(q):
                continue  # nothing searchable typed (a name of joiners only)
            found = pupils.search_pupils(session, dsl, school.id, q, limit=50)
            assert p.id in [x.id for x in found], (q, first_held, last_held, p.search_key)
    finally:
        savepoint.rollback()


@pytest.mark.parametrize("first, last, typed", [
    ("Zoë", "Adams", "zoe"),
    ("Chloé", "Brun", "chloe"),
    ("Siobhán", "Kelly", "siobhan"),
    ("SIOBHÁN", "Kelly", "Siobhan kelly"),
    ("Liam", "O'Brien", "obrien"),
    ("Liam", "O'Brien", "O\u2019Brien"),  # the curly apostrophe an iPhone types
    ("Liam", "O\u2019Brien", "O'Brien"),
    ("Liam", "O\u2019Brien", "o brien"),
    ("Ruby", "Smith-Jones", "smith jones"),
    ("Ruby", "Smith-Jones", "smithjones"),
    ("Ruby", "Smith Jones", "Smith-Jones"),
    ("Ruby", "Smith-Jones", "ruby jones"),
    ("Mary-Ann", "Søndergaard", "maryann sondergaard"),
    ("Jürgen", "Straße", "jurgen strasse"),
])
def test_names_as_phones_type_them(session, roll, make_pupil, first, last, typed):
    school, dsl = roll
    make_pupil(school, first_name=first, last_name=last)
    assert _found(session, dsl, school, typed) == {f"{first} {last}"}


def test_a_preferred_name_is_found_too(session, roll, make_pupil):
    school, dsl = roll
    make_pupil(school, first_name="Chidinma", preferred_name="Chloë", last_name="Eze")
    assert _found(session, dsl, school, "chloe eze") == {"Chidinma Eze"}


def test_per_cent_and_underscore_are_literal(session, roll, make_pupil):
    school, dsl = roll
    make_pupil(school, first_name="Zoë", last_name="Adams")
    assert _found(session, dsl, school, "") != set()  # a blank search lists the roll
    for q in ("%", "_", "%%", "a%", "z_e", "\\", "a\\%"):
        assert _found(session, dsl, school, q) == set(), q
    # a word that is only apostrophes or hyphens is no word: the rest still counts
    assert _found(session, dsl, school, "zoe - '") == {"Zoë Adams"}


def test_words_must_all_match_and_names_do_not_run_together(session, roll, make_pupil):
    school, dsl = roll
    make_pupil(school, first_name="Zoë", last_name="Adams")
    assert _found(session, dsl, school, "zoe okafor") == set()
    # a word is found within one name, not across first and last
    assert _found(session, dsl, school, "zoeadams") == set()
    assert _found(session, dsl, school, "zoë adams") == {"Zoë Adams"}


def test_search_narrows_by_date_of_birth_and_year_group(session, roll, make_pupil):
    school, dsl = roll
    make_pupil(school, first_name="Ella", last_name="Fenn", date_of_birth=dt.date(2017, 3, 2),
               year_group=4)
    make_pupil(school, first_name="Ellie", last_name="Fenn", date_of_birth=dt.date(2020, 3, 2),
               year_group=1)
    assert _found(session, dsl, school, "fenn") == {"Ella Fenn", "Ellie Fenn"}
    assert _found(session, dsl, school, "fenn",
                  date_of_birth=dt.date(2020, 3, 2)) == {"Ellie Fenn"}
    assert _found(session, dsl, school, "", year_group=4) >= {"Ella Fenn"}
    assert "Ellie Fenn" not in _found(session, dsl, school, "", year_group=4)


def test_the_key_follows_a_change_of_name_and_a_bulk_insert(session, roll, make_pupil):
    school, dsl = roll
    p = make_pupil(school, first_name="Zoe", last_name="Adams")
    p.last_name = "Ní Bhriain"
    session.flush()
    assert p.search_key == "zoe nibhriain"
    assert _found(session, dsl, school, "ni bhriain") == {"Zoe Ní Bhriain"}
    assert _found(session, dsl, school, "adams") == set()
    # a bulk (Core) insert that does not name the key gets it from the column default
    session.execute(insert(Pupil), [dict(
        school_id=school.id, trust_id=school.trust_id, first_name="Siobhán", last_name="Ó Sé",
        date_of_birth=dt.date(2016, 1, 1), year_group=5, on_roll_from=dt.date(2025, 9, 1))])
    assert _found(session, dsl, school, "siobhan ose") == {"Siobhán Ó Sé"}


def test_fold_and_key():
    assert fold("Zoë Ø'BRIEN") == "zoe o'brien"
    assert pupil_search_key("Mary-Ann", None, "O\u2019Brien") == "maryann obrien"
    assert pupil_search_key("Zoë", "Zo", "Smith Jones") == "zoe zo smithjones"


def test_the_migration_keys_pupils_already_on_roll(database_factory, backend):
    host = make_host(load_entry_points=False)
    url = database_factory.url(backend)
    before = ScriptDirectory.from_config(alembic_config(url, host)).get_revision("c0005")
    upgrade(url, before.down_revision, host=host)
    db = Database(url)
    database_factory.engines.append(db.engine)
    with db.engine.begin() as conn:
        trust = conn.execute(text("INSERT INTO trusts (name, created_at) VALUES ('T', "
                                  ":at) RETURNING id"), {"at": dt.datetime(2026, 1, 1)}).scalar()
        school = conn.execute(text(
            "INSERT INTO schools (trust_id, urn, name, phase, created_at) VALUES "
            "(:t, '345678', 'S', 'primary', :at) RETURNING id"),
            {"t": trust, "at": dt.datetime(2026, 1, 1)}).scalar()
        conn.execute(text(
            "INSERT INTO pupils (school_id, trust_id, first_name, last_name, date_of_birth, "
            "gender, year_group, on_roll_from, created_at) VALUES (:s, :t, 'Zoë', "
            "'O''Brien-Shah', :dob, 'F', 4, :dob, :at)"),
            {"s": school, "t": trust, "dob": dt.date(2016, 2, 1), "at": dt.datetime(2026, 1, 1)})
    upgrade(url, "core@head", host=host)
    with db.transaction(SYSTEM) as s:
        assert s.scalar(select(Pupil.search_key)) == "zoe obrienshah"


def test_the_roll_page_search_finds_names_as_typed_too(session, roll, make_pupil, make_user):
    school, _ = roll
    make_pupil(school, first_name="Siobhán", last_name="O'Brien")
    _, admin = make_user("school_admin", school=school)
    assert [p.first_name for p in pupils.roll(session, admin, school.id, "siobhan o’brien")] \
        == ["Siobhán"]
    assert pupils.roll(session, admin, school.id, "%") == []
