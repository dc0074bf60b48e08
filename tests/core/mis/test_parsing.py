"""Reading MIS files without a database: CSV rows, names and dates of any shape survive the
round trip or are refused naming the line and column; CTF elements land in the right field."""
from __future__ import annotations

import csv
import datetime as dt
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from core.mis import csvfile, ctf, samples
from core.mis.rows import check_row, parse_year_group

# names as MIS exports hold them: letters of any script, apostrophes, hyphens, spaces
NAME = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Lo"),
                             whitelist_characters="'- ’"), min_size=1, max_size=40).filter(
    lambda s: s.strip() and not s.strip().startswith(("-", "'")))
DOB = st.dates(dt.date.today() - dt.timedelta(days=365 * 18),
               dt.date.today() - dt.timedelta(days=365 * 3))
YEAR = st.integers(-1, 14)


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["Legal surname", "Legal forename", "Date of birth", "Year group", "UPN"])
    w.writerows(rows)
    return out.getvalue().encode("utf-8")


def _read(content: bytes, layout=None):
    out = csvfile.CsvFile()
    raws = list(csvfile.read_csv(io.BytesIO(content), layout or csvfile.Layout(), out))
    checked = [check_row(r, (layout or csvfile.Layout()).date_format, out.carries_carers)
               for r in raws]
    return out, checked


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(NAME, NAME, DOB, YEAR), min_size=1, max_size=8))
def test_names_dates_and_years_survive_a_csv(rows):
    content = _csv([[last, first, dob.strftime("%d/%m/%Y"),
                     {-1: "N1", 0: "R"}.get(y, f"Year {y}"), ""]
                    for first, last, dob, y in rows])
    out, checked = _read(content)
    assert out.problems == []
    for (first, last, dob, year), (row, problems) in zip(rows, checked):
        assert problems == []
        assert row.details["first_name"] == " ".join(first.split())
        assert row.details["last_name"] == " ".join(last.split())
        assert (row.details["date_of_birth"], row.details["year_group"]) == (dob, year)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=6), st.integers(0, 5))
def test_a_bad_date_is_refused_naming_its_line_and_column(dates, bad_at):
    bad_at %= len(dates)
    rows = [["Smith", "Ava", "01/02/2016", "3", ""] for _ in dates]
    rows[bad_at][2] = dates[bad_at] + "x"  # never a date
    _, checked = _read(_csv(rows))
    row, problems = checked[bad_at]
    assert row is None
    assert [(p.where, p.field) for p in problems] == [(f"line {bad_at + 2}", "Date of birth")]


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=6))
def test_year_groups_are_the_national_curriculum_years_only(text):
    try:
        year = parse_year_group(text)
    except ValueError:
        return
    assert -1 <= year <= 14


def test_a_missing_required_column_is_named_on_line_1():
    content = b"Legal forename,Date of birth,Year group\nAva,01/02/2016,3\n"
    out, checked = _read(content)
    assert [(p.where, p.field) for p in out.problems] == [("line 1", "Legal surname")]
    assert checked == []


def test_not_utf8_is_refused():
    out, _ = _read(_csv([["Zoë", "Ava", "01/02/2016", "3", ""]]).replace(
        "Zoë".encode(), "Zoë".encode("latin-1")))
    assert out.problems and "UTF-8" in out.problems[0].message


def test_ctf_elements_land_in_their_fields():
    pupil = samples.pupils_for(1, seed=41)[0]
    pupil.update(preferred_name="Mo", sen="K", eal=True, looked_after=True, year_group=0)
    file = ctf.CtfFile()
    raw, = ctf.read_ctf(io.BytesIO(samples.ctf_bytes([pupil], "800100", version="25.0")), file)
    row, problems = check_row(raw)
    assert problems == [] and file.header.version == "25.0" and file.header.full
    assert row.details["preferred_name"] == "Mo" and row.details["year_group"] == 0
    assert row.flags == {"sen_support": True, "ehcp": False, "eal": True, "looked_after": True}
    assert row.carers[0]["parental_responsibility"] is True
    assert row.carers[0]["relationship"] == "PAM"
