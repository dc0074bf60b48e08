"""Pages: only the sending and receiving DSL teams see a transfer (404 for everyone else),
the in-trust round trip through the forms, the passphrase shown once, the one-time link,
and nothing at all where the plugin is off."""
import datetime as dt
import re

from tests.transition.conftest import acting
from sqlalchemy import select

from core import pupils
from plugins.transition.models import Transfer

CSRF = "test-csrf-token"


def sign_in(client, user=None):
    with client.session_transaction() as sess:
        sess.clear()
        sess["csrf_token"] = CSRF
        if user is not None:
            sess["_user_id"] = str(user.id)
            sess["_fresh"] = True
            sess["mfa_ok"] = True


def _people(w, make_user, make_school):
    """Everyone who must not see the transfer, and the two DSL teams who must."""
    third = make_school(trust=w["trust"], name="Third School")
    who = {"sender_dsl": make_user("dsl", school=w["sender"])[0],
           "sender_deputy": make_user("deputy_dsl", school=w["sender"])[0],
           "receiver_dsl": make_user("dsl", school=w["receiver"])[0]}
    for role in ("staff", "headteacher", "school_admin"):
        who[f"sender_{role}"] = make_user(role, school=w["sender"])[0]
    who["receiver_staff"] = make_user("staff", school=w["receiver"])[0]
    who["third_dsl"] = make_user("dsl", school=third)[0]
    who["trust_lead"] = make_user("trust_lead", trust=w["trust"])[0]
    who["trust_admin"] = make_user("trust_admin", trust=w["trust"])[0]
    return who, third


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": CSRF, **data})


def test_only_the_two_dsl_teams_see_the_transfer(db, client, world, make_user, make_school):
    w = world
    who, third = _people(w, make_user, make_school)
    with acting(db, w["dsl_s"]) as s:
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, w["pupil"].id, dt.date(2026, 11, 11),
                         "Moved", w["receiver"].urn)
        tid = s.scalar(select(Transfer.id).where(Transfer.pupil_id == w["pupil"].id))
    sid, rid = w["sender"].id, w["receiver"].id
    sender_url = f"/schools/{sid}/transition/transfers/{tid}"
    receiver_url = f"/schools/{rid}/transition/transfers/{tid}"

    sign_in(client, who["sender_dsl"])
    page = client.get(sender_url)
    assert page.status_code == 200 and "Maya Okafor" in page.text
    key = re.search(r'name="key" value="([0-9a-f]+)"', page.text).group(1)
    assert _post(client, sender_url + "/prepare", covering_note="Please ring me.",
                 key=key).status_code == 302
    # a retry of the same form (same key) does not make a second version
    assert _post(client, sender_url + "/prepare", covering_note="Please ring me.",
                 key=key).status_code == 302
    assert "Package version 1" in client.get(sender_url).text

    sign_in(client, who["receiver_dsl"])
    assert client.get(receiver_url).status_code == 404  # not sent yet: not in their inbox

    sign_in(client, who["sender_deputy"])
    assert _post(client, sender_url + "/send", route="trust", key="s1").status_code == 302

    for name in ("sender_staff", "sender_headteacher", "sender_school_admin",
                 "receiver_staff", "third_dsl", "trust_lead", "trust_admin"):
        sign_in(client, who[name])
        for url in (sender_url, receiver_url, f"/schools/{third.id}/transition/transfers/{tid}",
                    f"/api/v1/schools/{sid}/transition/transfers/{tid}"):
            assert client.get(url).status_code == 404, (name, url)
    sign_in(client, who["third_dsl"])
    assert _post(client, f"/schools/{third.id}/transition/transfers/{tid}/confirm",
                 key="x").status_code == 404

    sign_in(client, who["receiver_dsl"])
    inbox = client.get(f"/schools/{rid}/transition/")
    assert "Maya Okafor" in inbox.text
    page = client.get(receiver_url)
    assert page.status_code == 200 and "Please ring me." in page.text
    assert "Bruise on the upper arm." in page.text
    api = client.get(f"/api/v1/schools/{rid}/transition/transfers/{tid}").get_json()
    assert (api["side"], api["status"]) == ("receiver", "viewed")
    assert _post(client, receiver_url + "/confirm", key="c1").status_code == 302
    resp = _post(client, receiver_url + "/accept", on_roll_from="2026-11-16", key="a1")
    assert resp.status_code == 302 and "/received/" in resp.location
    received = client.get(resp.location)
    assert received.status_code == 200 and "Oakfield Primary" in received.text

    sign_in(client, who["sender_dsl"])
    assert "Accepted" in client.get(sender_url).text
    sign_in(client, who["third_dsl"])
    assert client.get(resp.location.replace(f"/schools/{rid}/",
                                            f"/schools/{third.id}/")).status_code == 404


def test_bad_form_input_names_the_field_and_changes_nothing(db, client, world, make_user):
    w = world
    dsl = make_user("dsl", school=w["sender"])[0]
    with acting(db, w["dsl_s"]) as s:
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, w["pupil"].id, dt.date(2026, 11, 11),
                         "Moved", w["receiver"].urn)
        tid = s.scalar(select(Transfer.id).where(Transfer.pupil_id == w["pupil"].id))
    url = f"/schools/{w['sender'].id}/transition/transfers/{tid}"
    sign_in(client, dsl)
    resp = _post(client, url + "/prepare", covering_note="   ")
    assert resp.status_code == 422 and "covering_note" in resp.text
    resp = _post(client, url + "/prepare", covering_note="Note",
                 omit="core:concerns-and-actions|")
    assert resp.status_code == 422 and "must not travel" in resp.text
    assert "Package version" not in client.get(url).text
    assert client.post(url + "/prepare", data={"covering_note": "No CSRF"}).status_code == 400


def test_bundle_export_shows_the_passphrase_once_and_the_link_works_once(
        db, client, world, make_user):
    w = world
    dsl = make_user("dsl", school=w["sender"])[0]
    with acting(db, w["dsl_s"]) as s:
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, w["pupil"].id, dt.date(2026, 11, 11),
                         "Moved away", "700123")
        tid = s.scalar(select(Transfer.id).where(Transfer.pupil_id == w["pupil"].id))
    url = f"/schools/{w['sender'].id}/transition/transfers/{tid}"
    sign_in(client, dsl)
    _post(client, url + "/prepare", covering_note="Note", key="p1")
    shown = _post(client, url + "/send", route="bundle", key="b1")
    assert shown.status_code == 200
    passphrase = re.search(r"<code>([A-Z0-9]{4}(?:-[A-Z0-9]{4}){5})</code>", shown.text).group(1)
    link = re.search(r"<code>(http://[^<]+/transition/download/[^<]+)</code>", shown.text).group(1)
    retried = _post(client, url + "/send", route="bundle", key="b1")
    assert retried.status_code == 302  # the same request again: no second secret
    assert passphrase not in client.get(url).text
    path = link.split("localhost", 1)[1]
    sign_in(client, None)  # the receiving DSL is not signed in to this platform
    landing = client.get(path)
    assert landing.status_code == 200 and "works <strong>once</strong>" in landing.text
    first = _post(client, path)
    assert first.status_code == 200 and first.data.startswith(b'{"ciphertext"')
    second = _post(client, path)
    assert second.status_code == 410 and "already used" in second.text


def test_plugin_off_school_has_no_pages_or_contributions(db, client, session, make_school,
                                                         make_user, make_pupil, host):
    off = make_school(plugins=[n for n in host.names if n != "transition"])
    user, actor = make_user("dsl", school=off)
    p = make_pupil(off)
    session.flush()
    with acting(db, actor) as s:
        pupils.mark_left(s, actor, off.id, p.id, dt.date(2026, 11, 11), "Moved", "700123")
        assert s.scalars(select(Transfer)).all() == []  # the leaving event is not ours there
        metrics = host.call_for_school(s, off.id, "mat_trust_metrics",
                                       start=dt.date(2026, 9, 1), end=dt.date(2026, 12, 31))
        assert metrics and all(m.plugin != "transition" for m in metrics)
        assert host.call_for_school(s, off.id, "mat_transfer_sections", pupil_id=p.id)
        assert all(link.plugin != "transition"
                   for link in host.call_for_school(s, off.id, "mat_nav_links", actor=actor))
    sign_in(client, user)
    assert client.get(f"/schools/{off.id}/transition/").status_code == 404
    assert client.get(f"/api/v1/schools/{off.id}/transition/transfers").status_code == 404


def test_incoming_cohort_and_import_pages(db, client, world, make_user, make_pupil,
                                          make_school):
    import io

    from plugins.transition import exchange, service

    w = world
    newcomer = make_pupil(w["receiver"], first_name="Tomasz", last_name="Nowak")
    y6 = make_pupil(w["sender"], year_group=6, first_name="Ada", last_name="Cole")
    elsewhere = make_school(name="Harbour Academy")  # another trust on this platform
    harbour_dsl = make_user("dsl", school=elsewhere)[0]
    receiver_dsl = make_user("dsl", school=w["receiver"])[0]
    sender_dsl = make_user("dsl", school=w["sender"])[0]
    base_r = f"/schools/{w['receiver'].id}/transition"

    sign_in(client, receiver_dsl)
    assert "Tomasz Nowak" in client.get(base_r + "/incoming?q=Nowak").text
    resp = _post(client, base_r + "/incoming", pupil_id=str(newcomer.id),
                 previous_school="St Aidan's Academy, Leeds", previous_urn="")
    assert resp.status_code == 302
    listing = client.get(base_r + "/incoming").text
    one = re.search(r'href="(/schools/\d+/transition/incoming/\d+)"', listing).group(1)
    assert "St Aidan" in listing
    assert _post(client, one, action="chase", note="Rang their office").status_code == 302
    resp = client.post(one, data={"csrf_token": CSRF, "action": "received",
                                  "method": "secure_email", "note": "",
                                  "attachment": (io.BytesIO(b"%PDF-1.4 x"), "file.pdf",
                                                 "application/pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    page = client.get(one).text
    assert "Rang their office" in page and "file.pdf" in page
    att = re.search(r'href="([^"]+/attachments/\d+)"', page).group(1)
    assert client.get(att).data == b"%PDF-1.4 x"
    assert "Every awaited file has arrived" in client.get(base_r + "/incoming").text

    sign_in(client, sender_dsl)
    base_s = f"/schools/{w['sender'].id}/transition"
    with acting(db, w["dsl_s"]) as s:
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, y6.id, dt.date(2026, 7, 22),
                         "End of Year 6", w["receiver"].urn)
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, w["pupil"].id, dt.date(2026, 11, 11),
                         "Moved", elsewhere.urn)
        tid = s.scalar(select(Transfer.id).where(Transfer.pupil_id == w["pupil"].id))
        service.prepare(s, w["dsl_s"], w["sender"].id, tid, covering_note="n")
        export = exchange.export_bundle(s, w["dsl_s"], w["sender"].id, tid)
    assert "Ada Cole" in client.get(base_s + "/cohort").text
    done = _post(client, base_s + "/cohort", covering_note="Welcome", send="yes")
    assert done.status_code == 200 and "1 file prepared, 1 sent" in done.text

    sign_in(client, harbour_dsl)
    base_h = f"/schools/{elsewhere.id}/transition"
    bad = client.post(base_h + "/import", data={
        "csrf_token": CSRF, "passphrase": "nope",
        "bundle": (io.BytesIO(export.bundle.data), "t.matbundle")},
        content_type="multipart/form-data")
    assert bad.status_code == 422 and "Wrong passphrase" in bad.text
    resp = client.post(base_h + "/import", data={
        "csrf_token": CSRF, "passphrase": export.passphrase, "on_roll_from": "2026-11-16",
        "bundle": (io.BytesIO(export.bundle.data), "t.matbundle")},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    assert "Oakfield Primary" in client.get(resp.location).text
    receipt = client.get(resp.location + "/receipt.json").get_json()
    assert receipt["destination_urn"] == elsewhere.urn

    sign_in(client, sender_dsl)
    resp = client.post(f"{base_s}/transfers/{tid}/confirmation", data={
        "csrf_token": CSRF, "key": "r1",
        "receipt": (io.BytesIO(__import__("json").dumps(receipt).encode()), "receipt.json")},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    assert "Accepted" in client.get(f"{base_s}/transfers/{tid}").text
