"""Inside the trust: the file goes to the receiving DSL's inbox, is confirmed and accepted,
and the pupil appears at the receiving school with the history; the sender keeps a read-only
copy."""
import datetime as dt
import json

import pytest
from tests.transition.conftest import acting
from sqlalchemy import select

from core import concerns, pupils
from core.chronology import pupil_chronology
from core.errors import ValidationError
from core.models import AuditEntry, Pupil, PupilFlag
from plugins.transition import package, service
from plugins.transition.models import ReceivedFile, Transfer, TransferEvent, TransferPackage

LEFT = dt.date(2026, 11, 11)  # a Wednesday in term


def _leave(db, w):
    with acting(db, w["dsl_s"]) as s:
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, w["pupil"].id, LEFT, "Moved house",
                         w["receiver"].urn)
        return s.scalar(select(Transfer).where(Transfer.pupil_id == w["pupil"].id)).id


def test_leaving_with_a_destination_opens_a_pending_transfer(db, world):
    tid = _leave(db, world)
    with acting(db) as s:
        t = s.get(Transfer, tid)
        assert (t.status, t.school_id, t.destination_school_id) == \
            ("pending", world["sender"].id, world["receiver"].id)
        # Wed 11 Nov: Thu 12, Fri 13, Mon 16, Tue 17, Wed 18
        assert t.due_date == dt.date(2026, 11, 18) and t.due_rule == "in_year"
        assert [e.kind for e in s.scalars(select(TransferEvent).where(
            TransferEvent.transfer_id == tid))] == ["created"]


def test_leaving_without_destination_opens_nothing(db, world):
    with acting(db, world["dsl_s"]) as s:
        pupils.mark_left(s, world["dsl_s"], world["sender"].id, world["pupil"].id, LEFT,
                         "Elective home education")
        assert s.scalars(select(Transfer)).all() == []


def test_round_trip_send_confirm_accept(db, world):
    w = world
    tid = _leave(db, w)
    with acting(db, w["dsl_s"]) as s:
        sections = service.preview(s, w["dsl_s"], w["sender"].id, tid)
        ids = {sec.id for sec in sections}
        assert {"core:vulnerability-flags", "core:concerns-and-actions"} <= ids
        pkg = service.prepare(s, w["dsl_s"], w["sender"].id, tid,
                              covering_note="Please call me.", key="prep-1")
        body = json.loads(pkg.content)
        assert package.sha256(pkg.content.encode()) == pkg.sha256
        assert pkg.content.encode() == package.canonical(body)  # stored exactly as frozen
        service.send_in_trust(s, w["dsl_s"], w["sender"].id, tid, key="send-1")
    with acting(db, w["dsl_r"]) as s:
        inbox = service.inbox(s, w["dsl_r"], w["receiver"].id)
        assert [t.id for t in inbox] == [tid]
        body, sha = service.read_package(s, w["dsl_r"], w["receiver"].id, tid)
        assert body["pupil"]["last_name"] == "Okafor" and body["covering_note"] == "Please call me."
        assert s.get(Transfer, tid).status == "viewed"
        with pytest.raises(ValidationError) as exc, s.begin_nested():
            service.accept(s, w["dsl_r"], w["receiver"].id, tid)
        assert "confirm receipt" in str(exc.value)
        ev = service.confirm_receipt(s, w["dsl_r"], w["receiver"].id, tid, key="conf-1")
        assert (ev.kind, ev.user_id, ev.acting_school_id) == \
            ("receipt_confirmed", w["dsl_r"].user_id, w["receiver"].id)
        rf = service.accept(s, w["dsl_r"], w["receiver"].id, tid,
                            on_roll_from=dt.date(2026, 11, 16), key="acc-1")
        new_id = rf.pupil_id
    with acting(db, w["dsl_r"]) as s:
        new = s.get(Pupil, new_id)
        assert (new.school_id, new.transferred_from_id, new.first_name, new.year_group,
                new.on_roll_from) == (w["receiver"].id, w["pupil"].id, "Maya", 4,
                                      dt.date(2026, 11, 16))
        flags = {(f.flag, f.start_date, f.end_date) for f in s.scalars(
            select(PupilFlag).where(PupilFlag.pupil_id == new_id))}
        # the active plan travels as a flag; the ended EAL flag stays in the history only
        assert flags == {("cp_plan", dt.date(2026, 9, 10), None)}
        items = pupil_chronology(s, w["dsl_r"], w["receiver"].id, new_id)
        concern_items = [i for i in items if i.kind == "transfer:concern"]
        assert len(concern_items) == 1
        assert concern_items[0].detail.startswith("Bruise on the upper arm.")
        assert concern_items[0].at == dt.datetime(2026, 10, 5, 9, 30, tzinfo=dt.timezone.utc)
        assert "Oakfield Primary" in concern_items[0].title
        sections = [i.title for i in items if i.kind == "transfer:section"]
        assert sections == ["Attendance summary (from Oakfield Primary)"]
        entries = sorted(i.at for i in items if i.kind == "transfer:entry")
        assert entries == [dt.datetime(2026, 10, 5, 12, 0, tzinfo=dt.timezone.utc),
                           dt.datetime(2026, 10, 6, 8, 0, tzinfo=dt.timezone.utc)]
    with acting(db) as s:
        kinds = [e.kind for e in s.scalars(select(TransferEvent).where(
            TransferEvent.transfer_id == tid).order_by(TransferEvent.id))]
        assert kinds == ["created", "prepared", "sent", "viewed", "receipt_confirmed",
                         "accepted"]
        assert s.get(Transfer, tid).status == "accepted"
        actions = set(s.scalars(select(AuditEntry.action)))
        assert {"transition.prepared", "transition.sent", "transition.package_read",
                "transition.receipt_confirmed", "transition.accepted",
                "transition.file_received", "transition.inbox_read"} <= actions


def test_retried_steps_do_not_apply_twice(db, world):
    w = world
    tid = _leave(db, world)
    with acting(db, w["dsl_s"]) as s:
        p1 = service.prepare(s, w["dsl_s"], w["sender"].id, tid, covering_note="n", key="k1")
        p2 = service.prepare(s, w["dsl_s"], w["sender"].id, tid, covering_note="n", key="k1")
        assert p1.id == p2.id
        e1 = service.send_in_trust(s, w["dsl_s"], w["sender"].id, tid, key="k2")
        assert service.send_in_trust(s, w["dsl_s"], w["sender"].id, tid, key="k2").id == e1.id
    with acting(db, w["dsl_r"]) as s:
        service.confirm_receipt(s, w["dsl_r"], w["receiver"].id, tid, key="k3")
        service.confirm_receipt(s, w["dsl_r"], w["receiver"].id, tid, key="k3")
        a = service.accept(s, w["dsl_r"], w["receiver"].id, tid, key="k4")
        b = service.accept(s, w["dsl_r"], w["receiver"].id, tid, key="k4")
        assert a.id == b.id
    with acting(db) as s:
        assert s.scalar(select(TransferPackage.id).where(TransferPackage.transfer_id == tid)
                        .order_by(TransferPackage.version.desc())) == p1.id
        assert len(s.scalars(select(ReceivedFile)).all()) == 1
        assert len(s.scalars(select(Pupil).where(
            Pupil.school_id == w["receiver"].id)).all()) == 1
        assert [e.kind for e in s.scalars(select(TransferEvent).where(
            TransferEvent.transfer_id == tid).order_by(TransferEvent.id))] == \
            ["created", "prepared", "sent", "receipt_confirmed", "accepted"]


def test_senders_copy_is_read_only_after_acceptance(db, world):
    w = world
    tid = _leave(db, w)
    with acting(db, w["dsl_s"]) as s:
        # before acceptance the sender may still add to the record
        concerns.add_entry(s, w["dsl_s"], w["sender"].id, w["concern"].id, "note",
                           body="File being prepared.")
        service.prepare(s, w["dsl_s"], w["sender"].id, tid, covering_note="n")
        service.send_in_trust(s, w["dsl_s"], w["sender"].id, tid)
    with acting(db, w["dsl_r"]) as s:
        service.confirm_receipt(s, w["dsl_r"], w["receiver"].id, tid)
        service.accept(s, w["dsl_r"], w["receiver"].id, tid)
    with acting(db, w["dsl_s"]) as s:
        with pytest.raises(ValidationError) as exc, s.begin_nested():
            concerns.add_entry(s, w["dsl_s"], w["sender"].id, w["concern"].id, "note",
                               body="Another note.")
        assert "read-only" in str(exc.value)
        # something new learnt after the handover is still the sender's to act on
        late = concerns.record_concern(
            s, w["dsl_s"], w["sender"].id, pupil_ids=[w["pupil"].id],
            occurred_at=dt.datetime(2026, 11, 20, 9, tzinfo=dt.timezone.utc),
            fact="Sibling says the family moved again.")
        concerns.add_entry(s, w["dsl_s"], w["sender"].id, late.id, "note",
                           body="Passed to the new school's DSL by phone.")
        # the sender still reads its own copy
        view = concerns.get_concern(s, w["dsl_s"], w["sender"].id, w["concern"].id)
        assert [e.body for e in view.entries if e.kind == "note"] == \
            ["Spoke to mum.", "File being prepared."]


def test_omitted_items_do_not_travel_and_reasons_stay_with_sender(db, world, make_concern):
    w = world
    other = make_concern(w["sender"], [w["pupil"]], actor=w["staff_s"],
                         fact="Sibling's disclosure, recorded on this file by mistake.")
    tid = _leave(db, w)
    with acting(db, w["dsl_s"]) as s:
        with pytest.raises(ValidationError) as exc, s.begin_nested():
            service.prepare(s, w["dsl_s"], w["sender"].id, tid, covering_note="n",
                            omissions=[{"section": "core:concerns-and-actions",
                                        "item": f"concerns:{other.id}", "reason": " "}])
        assert "omissions" in exc.value.errors
        pkg = service.prepare(s, w["dsl_s"], w["sender"].id, tid, covering_note="n",
                              omissions=[{"section": "core:concerns-and-actions",
                                          "item": f"concerns:{other.id}",
                                          "reason": "about a sibling, not this child"},
                                         {"section": "registers:attendance-summary",
                                          "item": "absences:1", "reason": "family court"}])
        body = json.loads(pkg.content)
        registers = [sec for sec in body["sections"] if sec["plugin"] == "registers"][0]
        assert registers["data"] == {"attendance_pct": 91.5, "absences": []}
        assert body["withheld"] == 2
        facts = [c["fact"] for sec in body["sections"] for c in sec["data"].get("concerns", [])]
        assert facts == ["Bruise on the upper arm."]
        assert "sibling" not in pkg.content and "court" not in pkg.content
        assert pkg.omissions[0]["reason"] == "about a sibling, not this child"


def test_reject_needs_a_reason_and_ends_the_transfer(db, world):
    w = world
    tid = _leave(db, w)
    with acting(db, w["dsl_s"]) as s:
        service.prepare(s, w["dsl_s"], w["sender"].id, tid, covering_note="n")
        service.send_in_trust(s, w["dsl_s"], w["sender"].id, tid)
    with acting(db, w["dsl_r"]) as s:
        with pytest.raises(ValidationError), s.begin_nested():
            service.reject(s, w["dsl_r"], w["receiver"].id, tid, "  ")
        ev = service.reject(s, w["dsl_r"], w["receiver"].id, tid, "Pupil never joined us")
        assert ev.reason == "Pupil never joined us"
        # the receiver's own session cannot see the sender's transfer row at all
        s.expunge_all()
        assert s.get(Transfer, tid) is None
        with pytest.raises(ValidationError), s.begin_nested():
            service.confirm_receipt(s, w["dsl_r"], w["receiver"].id, tid)
    with acting(db) as s:
        assert s.get(Transfer, tid).status == "rejected"


def test_failed_send_can_be_sent_again(db, world):
    w = world
    tid = _leave(db, w)
    with acting(db, w["dsl_s"]) as s:
        service.prepare(s, w["dsl_s"], w["sender"].id, tid, covering_note="n")
        service.send_in_trust(s, w["dsl_s"], w["sender"].id, tid)
        service.mark_failed(s, w["dsl_s"], w["sender"].id, tid, "Sent to the wrong inbox")
        assert s.get(Transfer, tid).status == "failed"
        service.send_in_trust(s, w["dsl_s"], w["sender"].id, tid)
        assert s.get(Transfer, tid).status == "sent"


def test_a_pupil_moving_on_again_takes_the_earlier_file(db, world, make_school):
    w = world
    tid = _leave(db, w)
    with acting(db, w["dsl_s"]) as s:
        service.prepare(s, w["dsl_s"], w["sender"].id, tid, covering_note="n")
        service.send_in_trust(s, w["dsl_s"], w["sender"].id, tid)
    with acting(db, w["dsl_r"]) as s:
        service.confirm_receipt(s, w["dsl_r"], w["receiver"].id, tid)
        rf = service.accept(s, w["dsl_r"], w["receiver"].id, tid)
        sections = {sec.id: sec for sec in package.gather_sections(s, w["receiver"].id,
                                                                   rf.pupil_id)}
    earlier = [sec for sec in sections.values() if sec.plugin == "transition"]
    assert len(earlier) == 1 and earlier[0].title.startswith("File received from Oakfield")
    carried = {sec["id"]: sec for sec in earlier[0].data["sections"]}
    facts = [c["fact"] for c in carried["core:concerns-and-actions"]["data"]["concerns"]]
    assert facts == ["Bruise on the upper arm."]


def test_pupil_event_hook_opens_a_transfer_only_for_a_departure_with_destination(
        db, world, host):
    w = world
    with acting(db, w["dsl_s"]) as s:
        for event, data in (("created", {}), ("flag_changed", {"flag": "cin", "on": True}),
                            ("left", {"date": "2026-11-11", "destination_urn": None})):
            host.call_for_school(s, w["sender"].id, "mat_pupil_event",
                                 pupil_id=w["pupil"].id, event=event, data=data)
        assert s.scalars(select(Transfer)).all() == []
        host.call_for_school(s, w["sender"].id, "mat_pupil_event", pupil_id=w["pupil"].id,
                             event="left", data={"date": "2026-11-11",
                                                 "destination_urn": w["receiver"].urn})
        host.call_for_school(s, w["sender"].id, "mat_pupil_event", pupil_id=w["pupil"].id,
                             event="left", data={"date": "2026-11-11",
                                                 "destination_urn": w["receiver"].urn})
        assert [(t.pupil_id, t.leaving_date) for t in s.scalars(select(Transfer))] == \
            [(w["pupil"].id, dt.date(2026, 11, 11))]


def test_an_accept_interrupted_half_way_leaves_nothing_and_can_be_retried(db, world, host):
    from core import hookimpl
    from core.contributions import PluginInfo
    from core.plugins import make_host, use_host

    import plugins.transition

    class Crash:
        """Fails after the pupil row is written, as a lost connection would."""

        @hookimpl
        def mat_plugin_info(self):
            return PluginInfo("crash", "Crash", "test plugin")

        @hookimpl
        def mat_pupil_event(self, session, school_id, pupil_id, event, data):
            if event == "transferred_in":
                raise RuntimeError("connection lost")

    w = world
    tid = _leave(db, w)
    with acting(db, w["dsl_s"]) as s:
        service.prepare(s, w["dsl_s"], w["sender"].id, tid, covering_note="n")
        service.send_in_trust(s, w["dsl_s"], w["sender"].id, tid)
    with acting(db, w["dsl_r"]) as s:
        service.confirm_receipt(s, w["dsl_r"], w["receiver"].id, tid)
    crashing = make_host(load_entry_points=False,
                         extra=[("transition", plugins.transition), ("crash", Crash())])
    with acting(db) as s:
        crashing.set_enabled(s, w["receiver"].id, "crash", True)
    use_host(crashing)
    try:
        with acting(db, w["dsl_r"]) as s:
            with pytest.raises(RuntimeError), s.begin_nested():
                service.accept(s, w["dsl_r"], w["receiver"].id, tid, key="acc")
    finally:
        use_host(host)
    with acting(db) as s:
        assert s.scalars(select(Pupil).where(Pupil.school_id == w["receiver"].id)).all() == []
        assert s.scalars(select(ReceivedFile)).all() == []
        assert s.get(Transfer, tid).status == "receipt_confirmed"
    with acting(db, w["dsl_r"]) as s:
        rf = service.accept(s, w["dsl_r"], w["receiver"].id, tid, key="acc")
    with acting(db) as s:
        assert s.get(Transfer, tid).status == "accepted"
        assert [p.id for p in s.scalars(select(Pupil).where(
            Pupil.school_id == w["receiver"].id))] == [rf.pupil_id]
