"""Outside the trust: an encrypted bundle travels between two separate databases (two
instances of the platform), is imported there, and the signed receipt comes back. Tampered
bundles, wrong passphrases, expired and reused links are refused with clear errors."""
import base64
import datetime as dt
import json

import pytest
from tests.transition.conftest import acting
from sqlalchemy import select

from core import accounts, pupils, schools
from core.chronology import pupil_chronology
from core.db import SYSTEM
from core.errors import ValidationError
from core.models import Pupil, PupilFlag, School
from core.plugins import current_host
from core.policy import actor_for
from plugins.transition import bundle, service
from plugins.transition.models import DownloadLink, ReceivedFile, Transfer, TransferEvent

ELSEWHERE = "700123"  # a school on another instance of the platform


def _sealed(db, w):
    """Pupil leaves for a school elsewhere; the DSL prepares and exports. Returns
    (transfer id, passphrase, token, bundle bytes)."""
    with acting(db, w["dsl_s"]) as s:
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, w["pupil"].id, dt.date(2026, 11, 11),
                         "Moved to Cornwall", ELSEWHERE)
        t = s.scalar(select(Transfer).where(Transfer.pupil_id == w["pupil"].id))
        assert t.destination_school_id is None
        service.prepare(s, w["dsl_s"], w["sender"].id, t.id, covering_note="Call me.")
        with pytest.raises(ValidationError), s.begin_nested():
            service.send_in_trust(s, w["dsl_s"], w["sender"].id, t.id)
        export = service.export_bundle(s, w["dsl_s"], w["sender"].id, t.id, key="exp-1")
        again = service.export_bundle(s, w["dsl_s"], w["sender"].id, t.id, key="exp-1")
        assert again.passphrase is None and again.bundle.id == export.bundle.id
        return t.id, export.passphrase, export.token, export.bundle.data


@pytest.fixture
def elsewhere(database_factory, backend, host):
    """Another instance: its own database, trust, school (URN 700123) and DSL."""
    _, db2 = database_factory.create(backend)
    with db2.transaction(SYSTEM) as s:
        trust = schools.create_trust(s, "Cornish Coast Academies")
        school = schools.create_school(s, trust.id, ELSEWHERE, "Porthleven Academy")
        current_host().set_enabled(s, school.id, "transition", True)
        u = accounts.create_user(s, "dsl@porthleven.example", "Kerensa Dsl", None)
        accounts.grant_role(s, u.id, "dsl", school_id=school.id)
        ids = school.id, u.id
    with db2.transaction(SYSTEM) as s:
        dsl = actor_for(s, ids[1], mfa=True)
    return db2, ids[0], dsl


def test_bundle_round_trip_between_two_databases(db, world, elsewhere):
    w = world
    db2, school2, dsl2 = elsewhere
    tid, passphrase, token, data = _sealed(db, w)
    with acting(db) as s:  # the link gives exactly the bundle, once
        taken, name = service.take_link(s, token)
        assert taken == data and name.endswith(".matbundle")
        assert s.get(Transfer, tid).status == "viewed"
    with acting(db2, dsl2) as s2:
        rf = service.import_bundle(s2, dsl2, taken, passphrase.lower().replace("-", " "))
        again = service.import_bundle(s2, dsl2, taken, passphrase)
        assert again.id == rf.id  # a retried import applies nothing twice
        receipt = rf.receipt
        pupil = s2.get(Pupil, rf.pupil_id)
        assert (pupil.school_id, pupil.first_name, pupil.last_name, pupil.upn) == \
            (school2, "Maya", "Okafor", "K330400115007")
        assert {f.flag for f in s2.scalars(select(PupilFlag).where(
            PupilFlag.pupil_id == pupil.id))} == {"cp_plan"}
        items = pupil_chronology(s2, dsl2, school2, pupil.id)
        assert [i.detail.split("\n")[0] for i in items if i.kind == "transfer:concern"] == \
            ["Bruise on the upper arm."]
    with acting(db2) as s2:
        assert len(s2.scalars(select(Pupil)).all()) == 1
        assert len(s2.scalars(select(ReceivedFile)).all()) == 1
    assert receipt["received_by"] == "Kerensa Dsl"
    assert receipt["destination_urn"] == ELSEWHERE
    with acting(db, w["dsl_s"]) as s:
        forged = dict(receipt, received_by="Someone else")
        with pytest.raises(ValidationError) as exc, s.begin_nested():
            service.record_receipt(s, w["dsl_s"], w["sender"].id, tid, json.dumps(forged))
        assert "signature" in str(exc.value)
        service.record_receipt(s, w["dsl_s"], w["sender"].id, tid, json.dumps(receipt))
    with acting(db) as s:
        kinds = [e.kind for e in s.scalars(select(TransferEvent).where(
            TransferEvent.transfer_id == tid).order_by(TransferEvent.id))]
        assert kinds == ["created", "prepared", "sent", "viewed", "receipt_confirmed",
                         "accepted"]
        confirmed = s.scalar(select(TransferEvent).where(
            TransferEvent.transfer_id == tid, TransferEvent.kind == "receipt_confirmed"))
        assert confirmed.data["confirmed_by"] == "Kerensa Dsl"


def _tamper(data: bytes, change) -> bytes:
    outer = json.loads(data)
    change(outer)
    return json.dumps(outer).encode()


def _flip_ciphertext(outer):
    raw = bytearray(base64.b64decode(outer["ciphertext"]))
    raw[10] ^= 0x01
    outer["ciphertext"] = base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("change, message", [
    (_flip_ciphertext, "altered"),
    (lambda o: o["header"].update(destination_urn="700999"), "altered"),
    (lambda o: o["header"].update(created_at="2020-01-01T00:00:00+00:00"), "altered"),
    (lambda o: o["header"].update(upn_sha256="0" * 64), "altered"),
])
def test_tampered_bundle_is_refused(change, message):
    data, header, _ = bundle.seal(b'{"x":1}', "ABCD-EFGH", sender_urn="100001",
                                  destination_urn="700123", upn="K330400115007",
                                  created_at=dt.datetime(2026, 11, 12, tzinfo=dt.timezone.utc))
    assert bundle.open_bundle(data, "abcd efgh")[1] == b'{"x":1}'
    with pytest.raises(bundle.BundleError) as exc:
        bundle.open_bundle(_tamper(data, change), "ABCD-EFGH")
    assert message in str(exc.value)


def test_wrong_passphrase_and_foreign_files_are_refused(db, world, elsewhere):
    db2, school2, dsl2 = elsewhere
    _, passphrase, _, data = _sealed(db, world)
    with acting(db2, dsl2) as s2:
        with pytest.raises(ValidationError) as exc, s2.begin_nested():
            service.import_bundle(s2, dsl2, data, "WRONG-PASS-PHRA-SE00")
        assert "Wrong passphrase" in exc.value.errors["bundle"][0]
        with pytest.raises(ValidationError) as exc, s2.begin_nested():
            service.import_bundle(s2, dsl2, b"%PDF-1.4 not a bundle", passphrase)
        assert "not a transfer bundle" in exc.value.errors["bundle"][0]
        with pytest.raises(ValidationError) as exc, s2.begin_nested():
            service.import_bundle(s2, dsl2, _tamper(data, _flip_ciphertext), passphrase)
        assert "altered" in exc.value.errors["bundle"][0]
    with acting(db2) as s2:  # nothing half-applied
        assert s2.scalars(select(Pupil)).all() == []


def test_bundle_for_another_school_is_refused(db, world, elsewhere):
    db2, school2, dsl2 = elsewhere
    with acting(db2) as s2:
        trust_id = s2.get(School, school2).trust_id
        other_id = schools.create_school(s2, trust_id, "700124", "Other Academy").id
    _, passphrase, _, data = _sealed(db, world)
    with acting(db2, dsl2) as s2:
        with pytest.raises(ValidationError) as exc, s2.begin_nested():
            service.import_bundle(s2, dsl2, data, passphrase, school_id=other_id)
        assert "700123" in exc.value.errors["bundle"][0]


def test_link_used_twice_is_refused(db, world):
    _, _, token, _ = _sealed(db, world)
    with acting(db) as s:
        service.take_link(s, token)
    with acting(db) as s:
        with pytest.raises(service.LinkRefused) as exc:
            service.take_link(s, token)
        assert "already used" in str(exc.value)
        with pytest.raises(service.LinkRefused) as exc:
            service.check_link(s, token + "x")
        assert "not valid" in str(exc.value)


def test_expired_link_is_refused_and_the_send_marked_failed(db, world):
    tid, _, token, _ = _sealed(db, world)
    with acting(db) as s:
        link = s.scalar(select(DownloadLink).where(DownloadLink.transfer_id == tid))
        link.expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    with acting(db) as s:
        with pytest.raises(service.LinkRefused) as exc:
            service.take_link(s, token)
        assert "expired" in str(exc.value)
        assert service.reminders(s, world["sender"].id)["failed"] == 1
        assert service.reminders(s, world["sender"].id)["failed"] == 0  # idempotent
        assert s.get(Transfer, tid).status == "failed"
    with acting(db, world["dsl_s"]) as s:  # failed: send again with a new link
        export = service.export_bundle(s, world["dsl_s"], world["sender"].id, tid)
        assert export.token != token and s.get(Transfer, tid).status == "sent"


def test_resend_replaces_the_earlier_link(db, world):
    tid, _, token, _ = _sealed(db, world)
    with acting(db, world["dsl_s"]) as s:
        service.export_bundle(s, world["dsl_s"], world["sender"].id, tid)
    with acting(db) as s:
        with pytest.raises(service.LinkRefused) as exc:
            service.take_link(s, token)
        assert "replaced" in str(exc.value)


def test_confirmation_recorded_by_hand(db, world):
    tid, *_ = _sealed(db, world)
    with acting(db, world["dsl_s"]) as s:
        with pytest.raises(ValidationError) as exc, s.begin_nested():
            service.record_confirmation(s, world["dsl_s"], world["sender"].id, tid,
                                        confirmed_by="", confirmed_on=dt.date(2030, 1, 1),
                                        how="")
        assert set(exc.value.errors) == {"confirmed_by", "confirmed_on", "how"}
        ev = service.record_confirmation(s, world["dsl_s"], world["sender"].id, tid,
                                         confirmed_by="Mrs Trelawny, DSL",
                                         confirmed_on=dt.date.today(), how="phone call")
        assert ev.data["confirmed_by"] == "Mrs Trelawny, DSL"
        assert s.get(Transfer, tid).status == "receipt_confirmed"


def test_headers_asking_for_huge_key_work_are_refused():
    data, _, _ = bundle.seal(b"{}", "ABCD", sender_urn="100001", destination_urn="700123",
                             upn=None, created_at=dt.datetime(2026, 11, 12,
                                                              tzinfo=dt.timezone.utc))
    for kdf in ({"n": 2 ** 20}, {"r": 64}, {"n": 3000}, {"p": 50}):
        forged = _tamper(data, lambda o: o["header"]["kdf"].update(kdf))
        with pytest.raises(bundle.BundleError) as exc:
            bundle.open_bundle(forged, "ABCD")
        assert "key settings" in str(exc.value)
