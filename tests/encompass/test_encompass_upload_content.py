"""An uploaded notification is what its bytes say, whatever it is called (issue 14)."""
from __future__ import annotations

import pytest

from core.errors import ValidationError
from plugins.encompass.documents import store_upload

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"


@pytest.mark.parametrize("name", ["notification.pdf", "notification.txt", "notification.eml"])
def test_an_executable_renamed_is_refused_naming_the_file(session, make_school, make_user, name):
    school = make_school()
    _, actor = make_user("dsl", school=school)
    with pytest.raises(ValidationError) as exc:
        store_upload(session, actor, school.id, name, EXE)
    assert list(exc.value.errors) == ["file"] and name in exc.value.errors["file"][0]


@pytest.mark.parametrize("name,data", [("n.pdf", b"%PDF-1.7\n..."),
                                       ("n.txt", "Child: Amelia Smith, née 2016".encode())])
def test_a_file_whose_bytes_match_its_name_is_kept(session, make_school, make_user, name, data):
    school = make_school()
    _, actor = make_user("dsl", school=school)
    assert store_upload(session, actor, school.id, name, data).size == len(data)
