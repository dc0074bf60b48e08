"""Training dates far out are refused naming the field (issue 14)."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from core.date_limits import OUT_OF_RANGE, OutOfRange
from core.errors import ValidationError
from plugins.training.forms import form_date
from plugins.training.importer import parse_date


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31", "31/12/9999"])
def test_an_imported_date_far_out_is_refused(raw):
    with pytest.raises(OutOfRange):
        parse_date(raw)


def test_a_form_date_far_out_is_refused_naming_the_field():
    with pytest.raises(ValidationError) as exc:
        form_date(MultiDict({"completed_on": "9999-12-31"}), "completed_on")
    assert exc.value.errors == {"completed_on": [OUT_OF_RANGE]}
