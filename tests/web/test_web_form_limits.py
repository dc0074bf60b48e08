"""Issue 13: over-long text is refused before it is lost, and a concern form sent twice
records one concern.

A text field over Werkzeug's per-field cap (500 KB) used to get a bare 413 with everything
typed thrown away; now the record page comes back with the field named, its limit, and the
start of the text in the box. Within the cap, the page's limit is the API's (LONG_TEXT). The
record form carries a one-time token: the same form sent again leads to the first concern."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from core.models import AuditEntry, Concern, ConcernEntry
from tests.web.conftest import CSRF_VALUE
from web.apis.schemas import LONG_TEXT

START = "Start of what I saw: he was hiding under the stairs. "


def _multipart(fields: list[tuple[str, str]], boundary: str = "Bnd42") -> bytes:
    out = b""
    for name, value in fields:
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                .encode() + value.encode() + b"\r\n")
    return out + f"--{boundary}--\r\n".encode()


def _record_fields(world, **over) -> dict:
    data = {"csrf_token": CSRF_VALUE, "action": "record", "pupil_ids": str(world.pupil.id),
            "occurred_at": "2026-10-12T10:15", "location": "Playground",
            "fact": "Saw a bruise on the left forearm.", "child_words": "", "opinion": ""}
    data.update(over)
    return data


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _token(client, world) -> str:
    page = client.get(f"/schools/{world.school.id}/concerns/new").get_data(as_text=True)
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


# --- text too long ---------------------------------------------------------------------------

def test_600_kb_of_facts_comes_back_named_with_its_limit_and_its_start_kept(client, as_role,
                                                                              world, session):
    as_role("staff")
    before = _count(session, Concern)
    fact = START + "x" * 600_000
    body = _multipart(list(_record_fields(world, fact=fact,
                                          child_words="Mum said not to tell.").items()))
    resp = client.post(f"/schools/{world.school.id}/concerns/new", data=body,
                       content_type="multipart/form-data; boundary=Bnd42")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 413
    assert _count(session, Concern) == before  # nothing stored
    error = re.search(r'id="fact-error">(.*?)</p>', page, re.S).group(1)
    assert "too long to save" in error and "about 586 KB was sent" in error
    assert f"the limit is {LONG_TEXT:,} characters" in error
    assert "What happened: is too long to save" in page  # the summary names the field
    kept = re.search(r'<textarea id="fact"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert kept.startswith(START) and len(kept) >= 400_000  # the start, up to the 500 KB cap
    assert "Mum said not to tell.</textarea>" in page  # the other fields are all kept
    assert 'value="Playground"' in page


def test_a_field_over_the_cap_in_any_other_form_is_shown_back_not_saved(client, as_role,
                                                                        world, session):
    as_role("dsl")
    before = _count(session, ConcernEntry)
    body = _multipart([("csrf_token", CSRF_VALUE), ("kind", "note"),
                       ("body", START + "y" * 600_000)])
    resp = client.post(f"/schools/{world.school.id}/concerns/{world.concern.id}/entries",
                       data=body, content_type="multipart/form-data; boundary=Bnd42")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 413
    assert _count(session, ConcernEntry) == before
    assert "The text is too long to save" in page and "“body”" in page
    kept = re.search(r'<textarea id="kept-1" readonly[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert kept.startswith(START)
    assert "Error 413" not in page


def test_within_the_cap_the_page_takes_what_the_api_takes(client, as_role, world, session):
    as_role("staff")
    before = _count(session, Concern)
    url = f"/schools/{world.school.id}/concerns/new"
    resp = client.post(url, data=_record_fields(world, opinion="o" * (LONG_TEXT + 1)))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and _count(session, Concern) == before
    assert re.search(r'id="opinion-error">.*the limit is 20,000 characters', page)
    assert "o" * (LONG_TEXT + 1) + "</textarea>" in page  # kept whole
    # a line break counts once, as the page's counter counts it, though browsers send CRLF
    lines = "\r\n".join(["z" * 99] * 200)  # 19,999 characters as typed
    resp = client.post(url, data=_record_fields(world, fact=lines))
    assert resp.status_code == 302 and _count(session, Concern) == before + 1


def test_every_text_box_of_the_record_page_says_its_limit(client, as_role, world):
    as_role("staff")
    page = client.get(f"/schools/{world.school.id}/concerns/new").get_data(as_text=True)
    boxes = re.findall(r"<textarea [^>]*>", page)
    assert len(boxes) == 3
    assert all(f'maxlength="{LONG_TEXT}"' in b for b in boxes)
    assert "limits.js" in page


# --- sent twice, recorded once ---------------------------------------------------------------

def test_the_same_form_sent_twice_records_one_concern_and_leads_to_it(client, as_role, world,
                                                                      session):
    user, _ = as_role("staff")
    before = _count(session, Concern)
    url = f"/schools/{world.school.id}/concerns/new"
    token = _token(client, world)
    first = client.post(url, data=_record_fields(world, form_token=token))
    second = client.post(url, data=_record_fields(world, form_token=token))
    assert first.status_code == 302 and second.status_code == 302
    assert _count(session, Concern) == before + 1
    concern = session.scalars(select(Concern).where(Concern.recorded_by_id == user.id)).one()
    assert second.location == first.location
    assert f"/concerns/{concern.id}?" in second.location
    page = client.get(second.location).get_data(as_text=True)
    assert "sent twice: the concern was recorded once" in page and f"C{concern.id}" in page
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "concern.form_token_used", AuditEntry.object_id == token)) == 1
    # a new form (a new token) records a new concern
    third = client.post(url, data=_record_fields(world, form_token=_token(client, world)))
    assert third.status_code == 302 and third.location != first.location
    assert _count(session, Concern) == before + 2


def test_a_form_that_failed_keeps_its_token_and_records_once_corrected(client, as_role,
                                                                       world, session):
    as_role("staff")
    before = _count(session, Concern)
    url = f"/schools/{world.school.id}/concerns/new"
    token = _token(client, world)
    bad = client.post(url, data=_record_fields(world, form_token=token, fact=" "))
    assert bad.status_code == 422 and f'name="form_token" value="{token}"' in bad.get_data(
        as_text=True)
    assert client.post(url, data=_record_fields(world, form_token=token)).status_code == 302
    assert client.post(url, data=_record_fields(world, form_token=token)).status_code == 302
    assert _count(session, Concern) == before + 1


def test_the_token_is_one_persons_another_sending_it_records_their_own(client, as_role, world,
                                                                       session):
    as_role("staff")
    url = f"/schools/{world.school.id}/concerns/new"
    token = _token(client, world)
    before = _count(session, Concern)
    client.post(url, data=_record_fields(world, form_token=token))
    as_role("dsl")
    resp = client.post(url, data=_record_fields(world, form_token=token))
    assert resp.status_code == 302 and _count(session, Concern) == before + 2


def test_a_dsl_entry_takes_what_the_api_takes_and_its_box_says_so(client, as_role, world,
                                                                  session):
    as_role("dsl")
    url = f"/schools/{world.school.id}/concerns/{world.concern.id}"
    page = client.get(url).get_data(as_text=True)
    boxes = re.findall(r'<textarea [^>]*name="body"[^>]*>', page)
    assert boxes and all(f'maxlength="{LONG_TEXT}"' in b for b in boxes)
    before = _count(session, ConcernEntry)
    resp = client.post(url + "/entries", data={"csrf_token": CSRF_VALUE, "kind": "note",
                                               "body": "n" * (LONG_TEXT + 1)})
    assert resp.status_code == 422 and _count(session, ConcernEntry) == before
    body = resp.get_data(as_text=True)
    assert "the limit is 20,000 characters" in body and "n" * (LONG_TEXT + 1) in body


def test_a_form_refused_whole_for_a_large_file_shows_back_the_text_typed(app, client, as_role,
                                                                         world, session):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # MAT_MAX_UPLOAD_MB=1; the file is 2 MB
    as_role("staff")
    before = _count(session, Concern)
    fields = list(_record_fields(world, fact=START + "and more.",
                                 child_words="Don't tell my dad.").items())
    body = _multipart(fields)[:-len("--Bnd42--\r\n")] + (
        b'--Bnd42\r\nContent-Disposition: form-data; name="attachments"; filename="v.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + b"%" * (2 * 1024 * 1024) + b"\r\n--Bnd42--\r\n")
    resp = client.post(f"/schools/{world.school.id}/concerns/new", data=body,
                       content_type="multipart/form-data; boundary=Bnd42")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 413 and _count(session, Concern) == before
    assert "The upload is too large" in page and "MAT_MAX_UPLOAD_MB" in page
    kept = dict(re.findall(r"What you typed in “(\w+)”.*?<textarea[^>]*>(.*?)</textarea>",
                           page, re.S))
    assert kept["fact"] == START + "and more."
    assert kept["child_words"] == "Don&#39;t tell my dad."
    assert set(kept) == {"fact", "child_words", "location", "occurred_at"}  # not tokens or ids
