"""Page forms refuse a date far out beside its field (issue 14)."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from core.date_limits import OUT_OF_RANGE
from web.views.forms import Form


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01"])
def test_form_date_far_out_is_an_error_on_its_field(raw):
    form = Form(MultiDict({"due": raw}))
    assert form.date("due") is None
    assert form.errors == {"due": [OUT_OF_RANGE]}


def test_form_moment_far_out_is_an_error_on_its_field():
    form = Form(MultiDict({"at": "9999-12-31T23:59"}))
    assert form.local_datetime("at") is None
    assert form.errors == {"at": [OUT_OF_RANGE]}


def test_form_date_inside_the_range_is_read():
    form = Form(MultiDict({"due": "2100-12-31"}))
    assert str(form.date("due")) == "2100-12-31" and form.errors == {}
