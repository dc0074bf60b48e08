"""Actions with owners (issue 13): who may own one, "my actions", an owner outside the DSL team
recording theirs as done without reading the case file, overdue actions naming pupil and owner,
reminders once each; body maps and files on DSL entries."""
import datetime as dt

import pytest
from sqlalchemy import select

from core import concern_actions, concerns
from core.errors import NotFound, ValidationError
from core.models import Attachment, AuditEntry, ConcernEntry, MailMessage
from core.scheduler import recurring_jobs

TODAY = dt.date(2026, 10, 12)


@pytest.fixture
def case(session, make_school, make_user, make_pupil, make_concern):
    school = make_school()
    _, dsl = make_user("dsl", school)
    teacher_user, teacher = make_user("staff", school)
    pupil = make_pupil(school, first_name="Zoë", last_name="Adams")
    concern = make_concern(school, [pupil], actor=teacher)
    return school, dsl, teacher_user, teacher, pupil, concern


def _action(session, dsl, school, concern, owner_id=None, due=TODAY, body="Check in daily"):
    return concerns.add_entry(session, dsl, school.id, concern.id, "action", body=body,
                              due_date=due, owner_id=owner_id, created_at=dt.datetime.now(
                                  dt.timezone.utc))


def test_an_action_is_owned_by_its_author_unless_someone_is_named(session, case):
    school, dsl, teacher_user, _, _, concern = case
    mine = _action(session, dsl, school, concern)
    theirs = _action(session, dsl, school, concern, owner_id=teacher_user.id)
    assert (mine.owner_id, theirs.owner_id) == (dsl.user_id, teacher_user.id)


def test_an_owner_must_be_staff_of_the_school_not_an_admin_or_a_stranger(
        session, case, make_user, make_school):
    school, dsl, _, _, _, concern = case
    admin_user, _ = make_user("school_admin", school)
    elsewhere_user, _ = make_user("staff", make_school())
    for stranger in (admin_user.id, elsewhere_user.id, 987654):
        with pytest.raises(ValidationError) as err:
            _action(session, dsl, school, concern, owner_id=stranger)
        assert err.value.errors == {"owner_id": ["choose a member of this school's staff"]}
    with pytest.raises(ValidationError) as err:
        concerns.add_entry(session, dsl, school.id, concern.id, "note", body="x",
                           owner_id=dsl.user_id)
    assert err.value.errors == {"owner_id": ["only an action has an owner"]}


def test_my_actions_lists_only_mine_open_soonest_first_and_is_audited(session, case):
    school, dsl, teacher_user, teacher, _, concern = case
    later = _action(session, dsl, school, concern, teacher_user.id, TODAY + dt.timedelta(days=3))
    sooner = _action(session, dsl, school, concern, teacher_user.id, TODAY)
    _action(session, dsl, school, concern)  # the DSL's own
    rows = concern_actions.my_actions(session, teacher, today=TODAY)
    assert [r.entry_id for r in rows] == [sooner.id, later.id]
    assert rows[0].pupils == ["Zoë Adams"] and rows[0].school_name == school.name
    assert not rows[0].can_open_case  # a teacher owns the action, not the case file
    audit = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "actions.mine_read")).all()
    assert audit[-1].detail["entries"] == [sooner.id, later.id]


def test_an_owner_outside_the_dsl_team_records_their_action_done(session, case, make_user):
    school, dsl, teacher_user, teacher, _, concern = case
    action = _action(session, dsl, school, concern, teacher_user.id)
    _, other_teacher = make_user("staff", school)
    with pytest.raises(NotFound):
        concern_actions.complete_action(session, other_teacher, school.id, action.id, "done")
    done = concern_actions.complete_action(session, teacher, school.id, action.id,
                                           "Checked in at lunch; she is fine.")
    assert (done.kind, done.refers_to_id, done.author_id) == (
        "action_done", action.id, teacher_user.id)
    with pytest.raises(ValidationError) as err:
        concern_actions.complete_action(session, teacher, school.id, action.id, "again")
    assert err.value.errors == {"refers_to_id": ["that action is already marked done"]}
    assert concern_actions.my_actions(session, teacher) == []
    shown = concern_actions.my_actions(session, teacher, include_done=True)
    assert [(r.entry_id, r.done, r.overdue) for r in shown] == [(action.id, True, False)]
    # the DSL team sees it in the record
    view = concerns.get_concern(session, dsl, school.id, concern.id)
    assert [e.id for e in view.entries if e.kind == "action_done"] == [done.id]


def test_the_dsl_team_may_complete_anyones_action(session, case, make_user):
    school, dsl, teacher_user, _, _, concern = case
    action = _action(session, dsl, school, concern, teacher_user.id)
    _, deputy = make_user("deputy_dsl", school)
    done = concern_actions.complete_action(session, deputy, school.id, action.id, "")
    assert done.author_id == deputy.user_id


def test_overdue_actions_name_the_pupil_and_the_owner(session, case):
    school, dsl, teacher_user, _, _, concern = case
    late = _action(session, dsl, school, concern, teacher_user.id, TODAY - dt.timedelta(days=2))
    _action(session, dsl, school, concern, teacher_user.id, TODAY)  # due today: not overdue
    rows = concern_actions.overdue_actions(session, school.id, today=TODAY)
    assert [(r.entry_id, r.pupils, r.owner_name) for r in rows] == [
        (late.id, ["Zoë Adams"], teacher_user.name)]


def test_owners_are_reminded_on_the_day_and_the_day_after_once_each(session, case):
    school, dsl, teacher_user, teacher, _, concern = case
    due_today = _action(session, dsl, school, concern, teacher_user.id, TODAY)
    overdue = _action(session, dsl, school, concern, teacher_user.id, TODAY - dt.timedelta(days=1))
    _action(session, dsl, school, concern, teacher_user.id, TODAY + dt.timedelta(days=1))
    finished = _action(session, dsl, school, concern, teacher_user.id, TODAY)
    concern_actions.complete_action(session, teacher, school.id, finished.id, "done")
    assert concern_actions.queue_reminders(session, school.id, TODAY) == 2
    assert concern_actions.queue_reminders(session, school.id, TODAY) == 0  # once each
    mails = session.scalars(select(MailMessage).where(MailMessage.to == teacher_user.email)).all()
    assert sorted(m.dedupe_key for m in mails) == sorted(
        [f"action:{due_today.id}:due", f"action:{overdue.id}:overdue"])
    assert all("Zoë" not in m.body and "Check in" not in m.body for m in mails)  # no detail


def test_no_reminder_for_an_owner_whose_account_is_closed(session, case):
    school, dsl, teacher_user, _, _, concern = case
    _action(session, dsl, school, concern, teacher_user.id, TODAY)
    teacher_user.active = False
    session.flush()
    assert concern_actions.queue_reminders(session, school.id, TODAY) == 0


def test_reminders_are_a_recurring_job_of_core():
    names = {(j.plugin, j.name) for j in recurring_jobs()}
    assert ("core", "action_reminders") in names


def test_body_maps_on_a_concern_and_a_note_are_stored_as_data(session, case, make_concern):
    school, dsl, _, teacher, pupil, _ = case
    c = make_concern(school, [pupil], actor=teacher, body_map=[
        {"view": "front", "region": "left_forearm", "note": "Bruise, 3 cm", "x": 80, "y": 40}])
    assert c.body_map == [{"view": "front", "region": "left_forearm", "note": "Bruise, 3 cm",
                           "x": 80.0, "y": 40.0}]
    note = concerns.add_entry(session, dsl, school.id, c.id, "note", body="Seen by the DSL",
                              body_map=[{"view": "back", "region": "upper_back", "note": ""}])
    assert note.body_map == [{"view": "back", "region": "upper_back", "note": ""}]


@pytest.mark.parametrize("mark, field", [
    ({"view": "side", "region": "head"}, "body_map.0.view"),
    ({"view": "front", "region": "elbow"}, "body_map.0.region"),
    ({"view": "front", "region": "head", "x": 140}, "body_map.0.x"),
    ({"view": "front", "region": "head", "note": "x" * 501}, "body_map.0.note"),
])
def test_a_bad_mark_is_named_and_nothing_is_recorded(session, case, make_concern, mark, field):
    school, _, _, teacher, pupil, _ = case
    with pytest.raises(ValidationError) as err:
        make_concern(school, [pupil], actor=teacher, body_map=[mark])
    assert list(err.value.errors) == [field]


def test_files_on_a_dsl_entry_are_the_teams_not_the_recorders(session, case):
    school, dsl, _, teacher, _, concern = case
    entry = concerns.add_entry(
        session, dsl, school.id, concern.id, "note", body="Strategy meeting minutes",
        attachments=[concerns.NewAttachment("minutes.pdf", "application/pdf", b"%PDF-1.4")])
    att = session.scalar(select(Attachment).where(Attachment.entry_id == entry.id))
    assert att is not None and att.concern_id == concern.id
    assert [a.id for a in concerns.get_concern(session, dsl, school.id, concern.id).attachments
            ] == [att.id]
    # the member of staff who recorded the concern sees their record, not the team's files
    assert concerns.get_concern(session, teacher, school.id, concern.id).attachments == []
    with pytest.raises(NotFound):
        concerns.get_attachment(session, teacher, school.id, concern.id, att.id)
    assert concerns.get_attachment(session, dsl, school.id, concern.id, att.id).id == att.id


def test_a_refused_file_refuses_the_entry(session, case):
    school, dsl, _, _, _, concern = case
    with pytest.raises(ValidationError) as err:
        concerns.add_entry(session, dsl, school.id, concern.id, "note", body="x",
                           attachments=[concerns.NewAttachment("run.exe", "application/x-msdownload",
                                                               b"MZ")])
    assert list(err.value.errors) == ["attachments.0"]
    assert session.scalars(select(ConcernEntry).where(
        ConcernEntry.concern_id == concern.id)).all() == []


def test_an_inactive_owner_still_shows_on_the_dsls_overdue_list(session, case):
    school, dsl, teacher_user, _, _, concern = case
    _action(session, dsl, school, concern, teacher_user.id, TODAY - dt.timedelta(days=5))
    teacher_user.active = False
    session.flush()
    assert [r.owner_name for r in concern_actions.overdue_actions(session, school.id, TODAY)] == [
        teacher_user.name]
    with pytest.raises(ValidationError):  # but is no longer given new actions
        _action(session, dsl, school, concern, teacher_user.id)


def test_a_file_is_what_its_first_bytes_say_not_what_it_is_called(session, case):
    school, _, _, teacher, pupil, _ = case
    from core.filetypes import content_problem

    exe_as_pdf = concerns.NewAttachment("report.pdf", "application/pdf", b"MZ\x90\x00rest")
    with pytest.raises(ValidationError) as err:
        concerns.record_concern(session, teacher, school.id, pupil_ids=[pupil.id],
                                occurred_at=dt.datetime(2026, 10, 5, 9, tzinfo=dt.timezone.utc),
                                fact="x", attachments=[exe_as_pdf])
    assert err.value.errors == {
        "attachments.0": ["report.pdf: is not a PDF, whatever its name says"]}
    assert content_problem("application/pdf", b"%PDF-1.7\n...") is None
    assert content_problem("image/png", b"\x89PNG\r\n\x1a\n....") is None
    assert content_problem("image/jpeg", b"GIF89a") == "is not a JPEG image, whatever its name says"
    assert content_problem("text/plain", "Zoë's note".encode()) is None
    assert content_problem("text/plain", b"MZ\x00\x00") == "is not a text file (it holds binary data)"
    assert content_problem("application/x-msdownload", b"MZ") == (
        "files of type application/x-msdownload are not accepted")
