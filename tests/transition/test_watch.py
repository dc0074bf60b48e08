"""Deadlines watched: the dashboard lists, trust-overview figures, daily reminders (mail once,
alert once, an automatic chase once), the Year 6 cohort in one action, and incoming files
from schools not on the platform."""
import datetime as dt

import pytest
from tests.transition.conftest import acting
from sqlalchemy import select

from core import pupils
from core.errors import NotFound, ValidationError
from core.models import Alert, JobRun, MailMessage
from plugins.transition import service
from plugins.transition.models import IncomingEvent, Transfer, TransferEvent

LEFT = dt.date(2026, 11, 11)  # due Wed 18 Nov 2026 in the fixture calendar


def _transfer(db, w, pupil=None, urn=None, send=False):
    pupil = pupil or w["pupil"]
    with acting(db, w["dsl_s"]) as s:
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, pupil.id, LEFT, "Moved",
                         urn or w["receiver"].urn)
        tid = s.scalar(select(Transfer.id).where(Transfer.pupil_id == pupil.id))
        if send:
            service.prepare(s, w["dsl_s"], w["sender"].id, tid, covering_note="n")
            service.send_in_trust(s, w["dsl_s"], w["sender"].id, tid)
    return tid


def test_watch_sorts_by_urgency_and_counts_the_inbox(db, world, make_pupil):
    w = world
    late = _transfer(db, w)
    sent = _transfer(db, w, make_pupil(w["sender"]), send=True)
    with acting(db) as s:
        before = service.watch(s, w["sender"].id, dt.date(2026, 11, 12))
        # Thu 12 Nov: Fri 13, Mon 16, Tue 17, Wed 18 are 4 school days: on track
        assert [t.id for t in before.on_track] == [late, sent] and not before.due_soon
        soon = service.watch(s, w["sender"].id, dt.date(2026, 11, 16))
        assert {t.id for t in soon.due_soon} == {late, sent}
        after = service.watch(s, w["sender"].id, dt.date(2026, 11, 19))
        assert {t.id for t in after.overdue} == {late, sent}
        assert [t.id for t in after.awaiting_receipt] == [sent]
        assert service.watch(s, w["receiver"].id, dt.date(2026, 11, 19)).inbox_waiting == 1


def test_trust_metrics_worked_by_hand(db, world, make_pupil):
    w = world
    on_time = _transfer(db, w, send=True)  # sent today (after the 18 Nov deadline: late)
    never = _transfer(db, w, make_pupil(w["sender"]))
    with acting(db) as s:
        t = s.get(Transfer, on_time)
        t.first_sent_at = dt.datetime(2026, 11, 17, 10, tzinfo=dt.timezone.utc)  # in time
        s.flush()
        got = {m.key: m.value for m in service.metrics(
            s, w["sender"].id, dt.date(2026, 9, 1), dt.date(2026, 12, 31),
            today=dt.date(2026, 11, 20))}
    # two deadlines passed in the period: one met, one missed
    assert got == {"sent_on_time_pct": 50.0, "overdue_now": 2, "awaiting_receipt": 1,
                   "incoming_outstanding": 0}


def test_reminders_mail_alert_and_chase_once(db, world, make_user, make_pupil):
    w = world
    make_user("deputy_dsl", school=w["sender"], email="deputy@oakfield.example")
    make_user("dsl", school=w["receiver"], email="dsl@beechhill.example")
    unsent = _transfer(db, w)
    unconfirmed = _transfer(db, w, make_pupil(w["sender"]), send=True)
    with acting(db) as s:
        first = service.reminders(s, w["sender"].id, today=dt.date(2026, 11, 19))
        again = service.reminders(s, w["sender"].id, today=dt.date(2026, 11, 19))
        assert (first["alerts"], first["chased"]) == (2, 1)
        assert (again["alerts"], again["chased"], again["mails"]) == (0, 0, 0)
        kinds = {a.kind for a in s.scalars(select(Alert).where(
            Alert.school_id == w["sender"].id, Alert.plugin == "transition"))}
        assert kinds == {"transfer_overdue", "transfer_unconfirmed"}
        chase = s.scalars(select(MailMessage).where(
            MailMessage.to == "dsl@beechhill.example")).all()
        assert len(chase) == 1 and f"T{unconfirmed}" in chase[0].body
        assert "Okafor" not in chase[0].body  # mail names no child
        assert [e.kind for e in s.scalars(select(TransferEvent).where(
            TransferEvent.transfer_id == unconfirmed).order_by(TransferEvent.id))][-1] == "chased"
        assert s.scalars(select(MailMessage).where(
            MailMessage.to == "deputy@oakfield.example")).all()
    with acting(db) as s:  # the outbox is sent once the reminders commit (inline here)
        sent = s.scalars(select(JobRun).where(JobRun.func == "core.mail:send_pending")).all()
        assert [r.status for r in sent] == ["done"]
    with acting(db, w["dsl_r"]) as s:
        service.confirm_receipt(s, w["dsl_r"], w["receiver"].id, unconfirmed)
    with acting(db) as s:
        service.reminders(s, w["sender"].id, today=dt.date(2026, 11, 20))
        alert = s.scalar(select(Alert).where(
            Alert.dedupe_key == f"transition:transfer_unconfirmed:{unconfirmed}"))
        assert alert.resolved_at is not None
        # the unsent transfer is still overdue: its alert is kept
        assert s.scalar(select(Alert).where(
            Alert.dedupe_key == f"transition:transfer_overdue:{unsent}")).resolved_at is None


def test_year6_cohort_prepared_and_sent_in_one_action(db, world, make_pupil):
    w = world
    y6 = [make_pupil(w["sender"], year_group=6, last_name=n) for n in ("Adams", "Baker", "Cole")]
    y5 = make_pupil(w["sender"], year_group=5, last_name="Young")
    leaving = dt.date(2026, 7, 22)
    with acting(db, w["dsl_s"]) as s:
        for p, urn in zip(y6, (w["receiver"].urn, w["receiver"].urn, "700123")):
            pupils.mark_left(s, w["dsl_s"], w["sender"].id, p.id, leaving, "End of Year 6", urn)
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, y5.id, leaving, "Moved",
                         w["receiver"].urn)
        with pytest.raises(ValidationError), s.begin_nested():
            service.prepare_cohort(s, w["dsl_s"], w["sender"].id, " ")
        result = service.prepare_cohort(s, w["dsl_s"], w["sender"].id, "Welcome to Year 7")
        assert len(result.prepared) == 3 and len(result.sent) == 2
        by_pupil = {t.pupil_id: t for t in s.scalars(select(Transfer))}
        assert [by_pupil[p.id].status for p in y6] == ["sent", "sent", "prepared"]
        assert by_pupil[y5.id].status == "pending"
        # left on the last day of the summer term: due on the 5th school day of the autumn
        # term (Wed 2 Sep 2026 start: Wed 2, Thu 3, Fri 4, Mon 7, Tue 8)
        assert by_pupil[y6[0].id].due_date == dt.date(2026, 9, 8)
        again = service.prepare_cohort(s, w["dsl_s"], w["sender"].id, "Welcome to Year 7")
        assert again.prepared == [] and len(again.skipped) == 3


def test_accepting_a_year6_file_in_september_moves_the_pupil_up(db, world):
    w = world
    with acting(db, w["dsl_s"]) as s:
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, w["pupil"].id, dt.date(2026, 7, 22),
                         "End of year", w["receiver"].urn)
        tid = s.scalar(select(Transfer.id))
        service.prepare(s, w["dsl_s"], w["sender"].id, tid, covering_note="n")
        service.send_in_trust(s, w["dsl_s"], w["sender"].id, tid)
    with acting(db, w["dsl_r"]) as s:
        service.confirm_receipt(s, w["dsl_r"], w["receiver"].id, tid)
        rf = service.accept(s, w["dsl_r"], w["receiver"].id, tid,
                            on_roll_from=dt.date(2026, 9, 2))
        from core.models import Pupil
        assert s.get(Pupil, rf.pupil_id).year_group == 5  # Year 4 last year


def test_incoming_file_from_elsewhere(db, world, make_pupil):
    w = world
    newcomer = make_pupil(w["receiver"], first_name="Tomasz", last_name="Nowak")
    with acting(db, w["dsl_r"]) as s:
        with pytest.raises(ValidationError) as exc, s.begin_nested():
            service.expect_incoming(s, w["dsl_r"], w["receiver"].id, newcomer.id, "", "12")
        assert set(exc.value.errors) == {"previous_school", "previous_urn"}
        row = service.expect_incoming(s, w["dsl_r"], w["receiver"].id, newcomer.id,
                                      "St Aidan's Academy, Leeds")
        assert [i.id for i, _ in service.incoming_outstanding(s, w["receiver"].id)] == [row.id]
        service.chase_incoming(s, w["dsl_r"], w["receiver"].id, row.id,
                               "Phoned their DSL, Mrs Hart")
        with pytest.raises(ValidationError) as exc, s.begin_nested():
            service.record_incoming_received(s, w["dsl_r"], w["receiver"].id, row.id,
                                             method="secure_email")
        assert "attachment" in exc.value.errors
        service.record_incoming_received(s, w["dsl_r"], w["receiver"].id, row.id,
                                         method="secure_email", filename="cp-file.pdf",
                                         content_type="application/pdf", data=b"%PDF-1.4 file")
        assert service.incoming_outstanding(s, w["receiver"].id) == []
        _, events = service.incoming_history(s, w["dsl_r"], w["receiver"].id, row.id)
        assert [(e.kind, e.method) for e in events] == [("chased", None),
                                                       ("received", "secure_email")]
        assert events[1].size == len(b"%PDF-1.4 file")
    with acting(db, w["dsl_s"]) as s:  # another school's DSL cannot touch it
        with pytest.raises(NotFound):
            service.incoming_history(s, w["dsl_s"], w["receiver"].id, row.id)
        assert s.scalars(select(IncomingEvent)).all() == []
