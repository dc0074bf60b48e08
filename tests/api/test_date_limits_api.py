"""Dates far out are refused with 422 naming the field, never a server error (issue 14)."""
from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings, strategies as st

from core.date_limits import OUT_OF_RANGE

FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
dates_or_text = st.one_of(st.dates().map(dt.date.isoformat),
                          st.sampled_from(["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01"]),
                          st.text(max_size=20))


def test_the_trust_overview_refuses_extreme_dates_naming_the_field(caller, make_school):
    school = make_school()
    lead = caller("trust_lead", trust=school.trust)
    for field, value in [("start", "0001-01-01"), ("end", "9999-12-31")]:
        r = lead.get("/api/v1/trust/overview", query_string={field: value})
        assert r.status_code == 422
        assert r.get_json()["errors"]["query"] == {field: [OUT_OF_RANGE]}


def test_a_body_date_far_out_is_refused_naming_the_field(caller, make_school):
    school = make_school()
    dsl = caller("dsl", school=school)
    r = dsl.post(f"/api/v1/schools/{school.id}/pupils",
                 json={"upn": "A123456789012", "first_name": "Ann", "last_name": "Lee",
                       "date_of_birth": "0001-01-01", "year_group": "Y3",
                       "on_roll_from": "9999-12-31"})
    assert r.status_code == 422
    errors = r.get_json()["errors"]["json"]
    assert errors["date_of_birth"] == [OUT_OF_RANGE] and errors["on_roll_from"] == [OUT_OF_RANGE]


def test_no_date_or_text_makes_the_overview_fail(caller, make_school):
    school = make_school()
    lead = caller("trust_lead", trust=school.trust)

    @FUZZ
    @given(start=dates_or_text, end=dates_or_text)
    def check(start, end):
        r = lead.get("/api/v1/trust/overview", query_string={"start": start, "end": end})
        assert r.status_code in (200, 422), (start, end, r.get_json())

    check()
