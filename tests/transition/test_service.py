"""Rules that used to sit in the web layer, now in the service (no Flask here): the sender's
copy of an exported bundle, and the pupil's transfer as the pupil panel shows it."""
import datetime as dt

import pytest
from sqlalchemy import select

from core import pupils
from core.errors import NotFound
from core.models.host import AuditEntry
from plugins.transition import service
from plugins.transition.models import Transfer
from tests.transition.conftest import acting

ELSEWHERE = "700123"  # a school not on this platform: the file goes as a bundle


def _exported(db, w):
    with acting(db, w["dsl_s"]) as s:
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, w["pupil"].id, dt.date(2026, 11, 11),
                         "Moved to Cornwall", ELSEWHERE)
        t = s.scalar(select(Transfer).where(Transfer.pupil_id == w["pupil"].id))
        service.prepare(s, w["dsl_s"], w["sender"].id, t.id, covering_note="Call me.")
        export = service.export_bundle(s, w["dsl_s"], w["sender"].id, t.id)
        return t.id, export.bundle.id, export.bundle.data


def test_the_sender_reads_its_bundle_and_the_read_is_audited(db, world):
    w = world
    tid, bid, data = _exported(db, w)
    with acting(db, w["dsl_s"]) as s:
        b = service.sent_bundle(s, w["dsl_s"], w["sender"].id, tid, bid)
        assert b.data == data
        reads = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "transition.bundle_read",
            AuditEntry.object_id == str(tid))).all()
        assert [r.detail["bundle_id"] for r in reads] == [bid]


def test_nobody_else_reads_a_bundle_and_a_wrong_id_is_not_found(db, world, make_user):
    w = world
    tid, bid, _ = _exported(db, w)
    _, staff = make_user("staff", school=w["sender"])
    with acting(db, w["dsl_r"]) as s:  # another school's DSL, even inside the trust
        with pytest.raises(NotFound):
            service.sent_bundle(s, w["dsl_r"], w["receiver"].id, tid, bid)
    with acting(db, staff) as s:
        with pytest.raises(NotFound):
            service.sent_bundle(s, staff, w["sender"].id, tid, bid)
    with acting(db, w["dsl_s"]) as s:
        with pytest.raises(NotFound):
            service.sent_bundle(s, w["dsl_s"], w["sender"].id, tid, bid + 1)
        with pytest.raises(NotFound):
            service.sent_bundle(s, w["dsl_s"], w["sender"].id, tid + 1, bid)


def test_a_pupils_transfer_is_found_only_at_its_own_school(db, world):
    w = world
    with acting(db) as s:
        assert service.transfer_of_pupil(s, w["sender"].id, w["pupil"].id) is None
    tid, _, _ = _exported(db, w)
    with acting(db) as s:
        assert service.transfer_of_pupil(s, w["sender"].id, w["pupil"].id).id == tid
        assert service.transfer_of_pupil(s, w["receiver"].id, w["pupil"].id) is None


def test_every_public_name_of_the_service_is_there():
    missing = [n for n in service.__all__ if not hasattr(service, n)]
    assert missing == []
