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


def _ctf_problems(content: bytes, chunk: int | None = None, monkeypatch=None):
    if chunk is not None:
        monkeypatch.setattr(ctf, "CHUNK", chunk)
    file = ctf.CtfFile()
    rows = list(ctf.read_ctf(io.BytesIO(content), file))
    return rows, file.problems


LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE CTfile [<!ENTITY lol "lol">'
          + b"".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                     .encode() for i in range(1, 10))
          + b"]>\n<CTfile><Header>&lol9;</Header></CTfile>")
EXTERNAL = (b'<?xml version="1.0"?>\n<!DOCTYPE CTfile [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"\n<CTfile><Header><CTFversion>&x;</CTFversion></Header></CTfile>")
EXTERNAL_DTD = (b'<?xml version="1.0"?>\n<!DOCTYPE CTfile SYSTEM "http://example.invalid/a.dtd">'
                b"\n<CTfile/>")
PARAMETER = (b'<?xml version="1.0"?>\n<!DOCTYPE CTfile [<!ENTITY % p SYSTEM '
             b'"http://example.invalid/p.ent"> %p;]>\n<CTfile/>')


def test_hostile_xml_is_refused_before_anything_is_read(monkeypatch):
    """Billion laughs, an external entity, an external DTD and a parameter entity: each is
    refused by the guard (nothing expanded, nothing fetched), the whole file a problem."""
    for content in (LAUGHS, EXTERNAL, EXTERNAL_DTD, PARAMETER):
        rows, problems = _ctf_problems(content)
        assert rows == [] and [(p.where, p.field) for p in problems] == [("CTfile", "file")]
        assert "Refused" in problems[0].message and "not allowed" in problems[0].message
        assert "lollol" not in problems[0].message and "root:" not in problems[0].message


def test_a_dtd_after_pupils_or_split_across_chunks_is_still_refused(monkeypatch):
    """The guard reads each chunk before the tree builder does, so a declaration cut in two
    by a chunk boundary, or one in a pupil's element, never reaches the builder."""
    pupils = samples.pupils_for(3, seed=5)
    good = samples.ctf_bytes(pupils, "800100")
    rows, problems = _ctf_problems(good, 7, monkeypatch)
    assert len(rows) == 3 and problems == []  # tiny chunks alone change nothing
    for chunk in (1, 5, 13, 64):
        rows, problems = _ctf_problems(LAUGHS, chunk, monkeypatch)
        assert rows == [] and "Refused" in problems[0].message
    late = good.replace(b"<Surname>", b"<Surname>&x;", 1).replace(
        b"<CTfile>", b'<!DOCTYPE CTfile [<!ENTITY x "X">]><CTfile>', 1)
    rows, problems = _ctf_problems(late, 11, monkeypatch)
    assert rows == [] and "Refused" in problems[0].message


def test_an_undeclared_entity_or_broken_xml_names_where_it_stopped(monkeypatch):
    pupils = samples.pupils_for(2, seed=6)
    content = samples.ctf_bytes(pupils, "800100")
    second = content.index(b"<Pupil>", content.index(b"<Pupil>") + 1)
    at = content.index(b"<Relationship>", second) + len(b"<Relationship>")
    broken = content[:at] + b"&nbsp;" + content[at:]  # late in the second pupil
    line = broken[:at].count(b"\n") + 1
    rows, problems = _ctf_problems(broken)  # one chunk: the guard stops before any pupil
    assert rows == [] and [(p.where, p.field) for p in problems] == [("CTfile", "file")]
    assert f"undefined entity: line {line}," in problems[0].message
    rows, problems = _ctf_problems(broken, 64, monkeypatch)  # small chunks: pupil 1 read
    assert len(rows) == 1
    assert [(p.where, p.field) for p in problems] == [("CTfile/CTFpupilData/Pupil[2]", "file")]
    assert f"undefined entity: line {line}," in problems[0].message
    rows, problems = _ctf_problems(b"")
    assert rows == [] and problems[0].field == "file"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.dates(dt.date(1890, 1, 1), dt.date(2110, 12, 31)).map(dt.date.isoformat),
                 st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")))
def test_the_iso_date_shortcut_answers_as_strptime_does(text):
    """CTF dates skip strptime; the answer (a date within 1900-2100, or ValueError) is the
    one strptime gives."""
    from core.date_limits import within
    from core.mis.rows import parse_date

    try:
        expected = dt.datetime.strptime(text, "%Y-%m-%d").date()
        expected = expected if within(expected) else ValueError
    except ValueError:
        expected = ValueError
    try:
        got = parse_date(text, "%Y-%m-%d")
    except ValueError:
        got = ValueError
    assert got == expected
