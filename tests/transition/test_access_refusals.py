"""Who is refused the transition routes that change things, and the file downloads: each
person against each route.

Only the DSL teams involved may use them (``transfer.handle``). A refusal is the project's
404 (never 403: a refusal must not confirm the record exists), gives none of the file, and
leaves everything as it was: no transfer status, package, event, received file, awaited-file
row or audit line changes. The school's DSL making the very same request succeeds and does
change something, so a refusal for everyone would fail here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from io import BytesIO

import pytest
from sqlalchemy import func, select

from core import accounts, pupils
from core.calendar import london_today
from core.models import Pupil
from core.models.host import AuditEntry
from plugins.transition import service
from plugins.transition.models import (DownloadLink, IncomingEvent, IncomingFile, ReceivedFile,
                                       Transfer, TransferBundle, TransferEvent, TransferPackage)
from tests.transition.conftest import acting

CSRF = "test-csrf-token"
ELSEWHERE = "700123"  # a school on another instance of the platform
ATTACHMENT = b"%PDF-1.4 the previous school's file"
MODELS = (Transfer, TransferEvent, TransferPackage, TransferBundle, DownloadLink, ReceivedFile,
          IncomingFile, IncomingEvent, AuditEntry, Pupil)


@dataclass
class Case:
    home: str  # "sender" | "receiver": the school whose DSLs may use the route
    method: str
    path: str  # with {school} for the school in the URL
    ok: int  # the status when the home DSL makes the request
    changes: str  # the part of the state that the home DSL's request must change
    form: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)  # name -> (bytes, filename)
    secret: bytes | None = None  # what a refused person must not receive


# --- arranging each route's transfer or file, in the state where the DSL's request works ------

def _left(db, w, urn):
    with acting(db, w["dsl_s"]) as s:
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, w["pupil"].id, dt.date(2026, 11, 11),
                         "Moved", urn)
        return s.scalar(select(Transfer.id).where(Transfer.pupil_id == w["pupil"].id))


def _prepared(db, w, urn):
    tid = _left(db, w, urn)
    with acting(db, w["dsl_s"]) as s:
        service.prepare(s, w["dsl_s"], w["sender"].id, tid, covering_note="Please ring me.")
    return tid


def _sent(db, w):
    tid = _prepared(db, w, w["receiver"].urn)
    with acting(db, w["dsl_s"]) as s:
        service.send_in_trust(s, w["dsl_s"], w["sender"].id, tid)
    return tid


def _exported(db, w, urn):
    tid = _prepared(db, w, urn)
    with acting(db, w["dsl_s"]) as s:
        export = service.export_bundle(s, w["dsl_s"], w["sender"].id, tid)
        return tid, export.bundle.id, export.bundle.data, export.passphrase


def _awaited(db, w):
    with acting(db, w["dsl_r"]) as s:
        return service.expect_incoming(s, w["dsl_r"], w["receiver"].id, w["newcomer"].id,
                                       "Harbourside Juniors").id


T = "/schools/{school}/transition/transfers/"
B = "/schools/{school}/transition"


def setup_prepare(db, w):
    tid = _left(db, w, w["receiver"].urn)
    return Case("sender", "POST", f"{T}{tid}/prepare", 302, "transition_packages",
                form={"covering_note": "Please ring me.", "key": "k1"})


def setup_send(db, w):
    tid = _prepared(db, w, w["receiver"].urn)
    return Case("sender", "POST", f"{T}{tid}/send", 302, "transfers",
                form={"route": "trust", "key": "k1"})


def setup_failed(db, w):
    tid = _sent(db, w)
    return Case("sender", "POST", f"{T}{tid}/failed", 302, "transfers",
                form={"reason": "Sent to the wrong school", "key": "k1"})


def setup_record_confirmation(db, w):
    tid = _sent(db, w)
    return Case("sender", "POST", f"{T}{tid}/confirmation", 302, "transfers",
                form={"confirmed_by": "Ms Jones", "confirmed_on": london_today().isoformat(),
                      "how": "phone", "key": "k1"})


def setup_bundle_file(db, w):
    tid, bid, data, _ = _exported(db, w, ELSEWHERE)
    return Case("sender", "GET", f"{T}{tid}/bundles/{bid}", 200, "audit_entries", secret=data)


def setup_accept(db, w):
    tid = _sent(db, w)
    with acting(db, w["dsl_r"]) as s:
        service.confirm_receipt(s, w["dsl_r"], w["receiver"].id, tid)
    return Case("receiver", "POST", f"{T}{tid}/accept", 302, "transition_received_files",
                form={"on_roll_from": "2026-11-16", "key": "k1"})


def setup_reject(db, w):
    tid = _sent(db, w)
    return Case("receiver", "POST", f"{T}{tid}/reject", 302, "transfers",
                form={"reason": "The pupil is not joining us", "key": "k1"})


def setup_cohort_page(db, w):
    with acting(db, w["dsl_s"]) as s:
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, w["y6"].id, dt.date(2026, 7, 22),
                         "End of Year 6", w["receiver"].urn)
    return Case("sender", "POST", f"{B}/cohort", 200, "transition_packages",
                form={"covering_note": "Welcome", "send": "yes"})


def setup_import_bundle(db, w):
    _, _, data, passphrase = _exported(db, w, w["receiver"].urn)
    return Case("receiver", "POST", f"{B}/import", 302, "transition_received_files",
                form={"passphrase": passphrase, "on_roll_from": "2026-11-16"},
                files={"bundle": (data, "t.matbundle")})


def setup_incoming_list(db, w):
    return Case("receiver", "POST", f"{B}/incoming", 302, "transition_incoming",
                form={"pupil_id": str(w["newcomer"].id), "previous_school": "Harbourside Juniors",
                      "previous_urn": ""})


def setup_incoming_one_post(db, w):
    iid = _awaited(db, w)
    return Case("receiver", "POST", f"{B}/incoming/{iid}", 302, "transition_incoming_events",
                form={"action": "chase", "note": "Rang their office"})


def setup_incoming_one_get(db, w):
    iid = _awaited(db, w)
    return Case("receiver", "GET", f"{B}/incoming/{iid}", 200, "audit_entries",
                secret=b"Harbourside Juniors")


def setup_incoming_attachment(db, w):
    iid = _awaited(db, w)
    with acting(db, w["dsl_r"]) as s:
        ev = service.record_incoming_received(s, w["dsl_r"], w["receiver"].id, iid,
                                              method="secure_email", filename="file.pdf",
                                              content_type="application/pdf", data=ATTACHMENT)
        eid = ev.id
    return Case("receiver", "GET", f"{B}/incoming/{iid}/attachments/{eid}", 200,
                "audit_entries", secret=ATTACHMENT)


def setup_receipt(db, w):
    _, _, data, passphrase = _exported(db, w, w["receiver"].urn)
    with acting(db, w["dsl_r"]) as s:
        rf = service.import_bundle(s, w["dsl_r"], data, passphrase,
                                   school_id=w["receiver"].id)
        rid, sha = rf.id, rf.receipt["receipt_sha256"]
    return Case("receiver", "GET", f"{B}/received/{rid}/receipt.json", 200, "audit_entries",
                secret=sha.encode())


SETUPS = {name[len("setup_"):]: fn for name, fn in globals().items()
          if name.startswith("setup_")}
# whose DSLs may use each route (checked against what each setup says)
SETUPS_HOME = {e: "sender" if e in {"prepare", "send", "failed", "record_confirmation",
                                    "bundle_file", "cohort_page"} else "receiver"
               for e in SETUPS}

# who is refused: the home school's non-DSL roles; the DSL of a third school of the trust,
# through the home school's URL and through their own (naming the home school's record);
# for a transfer, the DSL of its other end, through their own school's URL
REFUSED = ["staff", "headteacher", "school_admin", "third_dsl_home", "third_dsl_own",
           "other_end_dsl"]
ON_TRANSFER = {"prepare", "send", "failed", "record_confirmation", "bundle_file", "accept",
               "reject"}


def _applies(endpoint: str, who: str) -> bool:
    if who == "other_end_dsl":
        return endpoint in ON_TRANSFER
    if who == "third_dsl_own":  # at their own school a school-wide route is theirs to use
        return endpoint not in {"cohort_page", "import_bundle", "incoming_list"}
    return True


CASES = [pytest.param(e, who, id=f"{e}-{who}") for e in SETUPS for who in ["dsl", *REFUSED]
         if _applies(e, who)]


def _sign_in(client, user):
    with client.session_transaction() as sess:
        sess.clear()
        sess["csrf_token"] = CSRF
        sess["_user_id"] = str(user.id)
        sess["_fresh"] = True
        sess["mfa_ok"] = True


def _state(db) -> dict:
    """Every row count the transition routes can change, every transfer's status and route,
    and every awaited file's arrival."""
    with acting(db) as s:
        state = {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                 for m in MODELS}
        state["transfers"] = sorted(tuple(r) for r in s.execute(
            select(Transfer.id, Transfer.status, Transfer.route, Transfer.first_sent_at)))
        state["incoming"] = sorted(tuple(r) for r in s.execute(
            select(IncomingFile.id, IncomingFile.received_at)))
    return state


@pytest.mark.parametrize("endpoint, who", CASES)
def test_only_the_dsl_involved_may_use_the_route(db, client, session, world, make_school,
                                                 make_pupil, endpoint, who):
    # everything made through the shared fixtures' session comes before any acting session
    w = dict(world, newcomer=make_pupil(world["receiver"], first_name="Tomasz",
                                        last_name="Nowak"),
             y6=make_pupil(world["sender"], year_group=6, first_name="Ada", last_name="Cole"))
    home_side = SETUPS_HOME[endpoint]
    home = w[home_side]
    other_end = w["receiver" if home_side == "sender" else "sender"]
    third = make_school(trust=w["trust"], name="Third School")
    role, user_school, url_school = {
        "dsl": ("dsl", home, home),
        "staff": ("staff", home, home),
        "headteacher": ("headteacher", home, home),
        "school_admin": ("school_admin", home, home),
        "third_dsl_home": ("dsl", third, home),
        "third_dsl_own": ("dsl", third, third),
        "other_end_dsl": ("dsl", other_end, other_end),
    }[who]
    user = accounts.create_user(session, f"{who}-{endpoint}@example.org", who, None)
    accounts.grant_role(session, user.id, role, school_id=user_school.id)
    session.flush()

    case = SETUPS[endpoint](db, w)
    assert case.home == home_side
    url = case.path.format(school=url_school.id)
    before = _state(db)

    _sign_in(client, user)
    if case.method == "GET":
        resp = client.get(url)
    else:
        data = {"csrf_token": CSRF, **case.form,
                **{k: (BytesIO(b), name) for k, (b, name) in case.files.items()}}
        resp = client.post(url, data=data, content_type="multipart/form-data")
    after = _state(db)

    if who == "dsl":  # the same request from the school's DSL works and changes something
        assert resp.status_code == case.ok, resp.text[:500]
        assert after[case.changes] != before[case.changes]
        if case.secret is not None:
            assert case.secret in resp.data
        return
    assert resp.status_code == 404, (who, url, resp.status_code)
    assert after == before
    if case.secret is not None:
        assert case.secret not in resp.data
