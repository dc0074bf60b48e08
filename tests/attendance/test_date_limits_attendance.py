"""Dates far out (9999-12-31, 0001-01-01) in the attendance API, pages and imported files are
refused naming the field, never a server error (issue 14)."""
from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from core.date_limits import OUT_OF_RANGE
from plugins.attendance.ctf import read_ctf
from plugins.attendance.importer import parse_date
from plugins.attendance.parsing import ErrorLog

EXTREME = ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01"]


@pytest.mark.parametrize("field", ["start", "end"])
@pytest.mark.parametrize("value", EXTREME)
def test_the_summary_api_refuses_a_date_far_out_naming_it(client, login_as, make_school,
                                                          field, value):
    school = make_school()
    login_as("dsl", school=school)
    r = client.get(f"/api/v1/schools/{school.id}/attendance/summary",
                   query_string={field: value})
    assert r.status_code == 422
    assert r.get_json()["errors"]["query"] == {field: [OUT_OF_RANGE]}


def test_no_date_or_text_makes_the_summary_fail(client, login_as, make_school):
    school = make_school()
    login_as("dsl", school=school)
    url = f"/api/v1/schools/{school.id}/attendance/summary"

    @settings(max_examples=25, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(start=st.one_of(st.dates().map(str), st.sampled_from(EXTREME), st.text(max_size=12)),
           end=st.one_of(st.dates().map(str), st.sampled_from(EXTREME)))
    def check(start, end):
        r = client.get(url, query_string={"start": start, "end": end})
        assert r.status_code in (200, 422), (start, end)

    check()


@pytest.mark.parametrize("field", ["start", "end"])
def test_the_dashboard_refuses_a_date_far_out_naming_it(client, login_as, make_school, field):
    school = make_school()
    login_as("dsl", school=school)
    r = client.get(f"/schools/{school.id}/attendance/", query_string={field: "9999-12-31"})
    assert r.status_code in (400, 422)
    assert b"1900" in r.data


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31", "31/12/9999", "01/01/0001"])
def test_an_imported_date_far_out_is_not_a_date(raw):
    assert parse_date(raw) is None


def test_a_ctf_start_date_far_out_is_reported_on_its_field():
    xml = (b"<CTfile><CTFpupilData><Pupil><UPN>A123</UPN><Attendance><SessionAttendance>"
           b"<AttendSessions><AttendanceStartDate>9999-12-31</AttendanceStartDate>"
           b"<AttendanceMarks>////</AttendanceMarks></AttendSessions></SessionAttendance>"
           b"</Attendance></Pupil></CTFpupilData></CTfile>")
    errors = ErrorLog()
    assert list(read_ctf(io.BytesIO(xml), errors, lambda day: True)) == []
    assert [e["field"] for e in errors.items] == ["AttendSessions/AttendanceStartDate"]
    assert "1900" in errors.items[0]["problem"]
