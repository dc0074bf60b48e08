"""Taking a pupil off roll from the pupil's details page opens what transition does next: a
destination in the trust opens the in-trust transfer (prepared and sent by the sending DSL,
read by the receiving DSL), one outside the trust the bundle route, and "not known" the
children-missing-education steps (the LA to be told by its deadline, recorded append-only)."""
import datetime as dt

import pytest
from tests.transition.conftest import acting
from tests.transition.test_pages import CSRF, _post, sign_in
from sqlalchemy import select

from core import pupils
from core.calendar import london_today
from core.errors import AppendOnlyViolation, NotFound, ValidationError
from core.models import AuditEntry
from plugins.transition import service
from plugins.transition.models import MissingEducation, MissingEducationEvent, Transfer

LEFT = dt.date(2026, 11, 11)


def _leave_page(client, w, **data):
    return _post(client, f"/schools/{w['sender'].id}/pupils/{w['pupil'].id}/leave",
                 date=LEFT.isoformat(), reason="Family moved house", **data)


def test_leaving_in_the_trust_from_the_page_lets_the_receiver_read_the_sent_file(
        db, client, world, make_user):
    w = world
    sender_dsl = make_user("dsl", school=w["sender"])[0]
    receiver_dsl = make_user("dsl", school=w["receiver"])[0]
    sign_in(client, sender_dsl)
    resp = _leave_page(client, w, destination="school", destination_urn=w["receiver"].urn)
    assert resp.status_code == 302
    with acting(db) as s:
        t = s.scalar(select(Transfer).where(Transfer.pupil_id == w["pupil"].id))
        assert (t.status, t.destination_school_id) == ("pending", w["receiver"].id)
    # the pupil page's panel points the sender at the transfer
    page = client.get(f"/schools/{w['sender'].id}/pupils/{w['pupil'].id}").text
    assert f"/transition/transfers/{t.id}" in page and "Beech Hill Academy" in page
    url = f"/schools/{w['sender'].id}/transition/transfers/{t.id}"
    assert "Freeze" in client.get(url).text
    assert _post(client, url + "/prepare", covering_note="Please call me.",
                 key="p1").status_code == 302
    assert _post(client, url + "/send", route="trust", key="s1").status_code == 302
    # the receiving DSL finds it in the inbox and reads the frozen file
    sign_in(client, receiver_dsl)
    inbox = client.get(f"/schools/{w['receiver'].id}/transition/").text
    assert "Maya Okafor" in inbox
    got = client.get(f"/schools/{w['receiver'].id}/transition/transfers/{t.id}")
    assert got.status_code == 200
    assert "Bruise on the upper arm." in got.text and "Please call me." in got.text


def test_leaving_outside_the_trust_opens_the_bundle_route(db, client, world, make_user):
    w = world
    sign_in(client, make_user("school_admin", school=w["sender"])[0])
    assert _leave_page(client, w, destination="school",
                       destination_urn="700123").status_code == 302
    with acting(db) as s:
        t = s.scalar(select(Transfer).where(Transfer.pupil_id == w["pupil"].id))
        assert t.destination_school_id is None and t.destination_urn == "700123"
        assert service.in_trust_destination(s, t) is None
    sign_in(client, make_user("dsl", school=w["sender"])[0])
    url = f"/schools/{w['sender'].id}/transition/transfers/{t.id}"
    assert "A school outside the platform (URN 700123)" in client.get(url).text
    assert _post(client, url + "/prepare", covering_note="Note", key="p1").status_code == 302
    page = client.get(url).text
    assert "Export an encrypted bundle" in page and "DSL inbox" not in page


def test_not_known_opens_the_missing_education_steps_on_dashboard_and_pupil_page(
        db, client, world, make_user):
    w = world
    dsl = make_user("dsl", school=w["sender"])[0]
    sign_in(client, dsl)
    assert _leave_page(client, w, destination="unknown").status_code == 302
    with acting(db) as s:
        case = s.scalar(select(MissingEducation).where(
            MissingEducation.pupil_id == w["pupil"].id))
        assert (case.notify_by, case.la_notified_at) == (LEFT, None)
        assert s.scalars(select(Transfer)).all() == []
    dash = client.get(f"/schools/{w['sender'].id}/dashboard").text
    assert "Tell the local authority" in dash and "Maya Okafor" in dash
    assert "<strong>overdue</strong>, due by 11 November 2026" in dash  # the leaving date passed
    pupil_page = client.get(f"/schools/{w['sender'].id}/pupils/{w['pupil'].id}").text
    assert "no known destination" in pupil_page
    case_url = f"/schools/{w['sender'].id}/transition/missing/{case.id}"
    assert "not yet told" in client.get(case_url).text
    bad = _post(client, case_url + "/notified", notified_on="", la_contact="")
    assert bad.status_code == 422
    assert "notified_on" in bad.text and "la_contact" in bad.text
    ok = _post(client, case_url + "/notified", notified_on=LEFT.isoformat(),
               la_contact="Children missing education officer", note="By phone, ref 4471")
    assert ok.status_code == 302
    assert _post(client, case_url + "/enquiry", note="Rang the aunt: no answer").status_code == 302
    page = client.get(case_url).text
    assert "local authority told" in page and "Rang the aunt" in page
    assert "Tell the local authority" not in client.get(
        f"/schools/{w['sender'].id}/dashboard").text


def test_missing_steps_are_append_only_audited_and_once(db, world, make_user):
    w = world
    with acting(db, w["dsl_s"]) as s:
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, w["pupil"].id, LEFT, "Not returned",
                         destination_unknown=True, require_destination=True)
        case = service.missing_case_of_pupil(s, w["sender"].id, w["pupil"].id)
        with pytest.raises(ValidationError) as err:
            service.record_la_notified(s, w["dsl_s"], w["sender"].id, case.id,
                                       notified_on=london_today() + dt.timedelta(days=1),
                                       la_contact="CME team")
        assert "notified_on" in err.value.errors
        ev = service.record_la_notified(s, w["dsl_s"], w["sender"].id, case.id,
                                        notified_on=LEFT, la_contact="CME team")
        with pytest.raises(ValidationError) as err:
            service.record_la_notified(s, w["dsl_s"], w["sender"].id, case.id,
                                       notified_on=LEFT, la_contact="CME team")
        assert "case" in err.value.errors
        assert service.missing_outstanding(s, w["sender"].id) == []
        actions = set(s.scalars(select(AuditEntry.action).where(
            AuditEntry.object_type == "missing")))
        assert {"transition.missing_opened", "transition.missing_la_notified"} <= actions
        ev_id = ev.id
    with acting(db) as s:
        ev = s.get(MissingEducationEvent, ev_id)
        ev.la_contact = "someone else"
        with pytest.raises(AppendOnlyViolation):
            s.flush()
        s.rollback()


def test_only_the_sending_dsl_team_reaches_a_missing_case(db, world, make_user):
    w = world
    with acting(db, w["dsl_s"]) as s:
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, w["pupil"].id, LEFT, "Not returned",
                         destination_unknown=True)
        case_id = service.missing_case_of_pupil(s, w["sender"].id, w["pupil"].id).id
    for actor, school in ((w["dsl_r"], w["receiver"]), (w["staff_s"], w["sender"]),
                          (make_user("school_admin", school=w["sender"])[1], w["sender"])):
        with acting(db, actor) as s, pytest.raises(NotFound):
            service.missing_history(s, actor, school.id, case_id)


def test_the_cli_leaving_with_not_known_opens_the_steps(db, world, session):
    from click.testing import CliRunner

    from core.cli import build_cli

    w = world
    session.commit()
    out = CliRunner().invoke(build_cli(), [
        "pupils", "leave", "--school", w["sender"].urn, "--pupil", w["pupil"].upn,
        "--date", LEFT.isoformat(), "--reason", "Did not return", "--destination-unknown"],
        obj=object())
    assert out.exit_code == 0, out.output
    with acting(db) as s:
        case = service.missing_case_of_pupil(s, w["sender"].id, w["pupil"].id)
        assert case is not None and case.notify_by == LEFT and case.reason == "Did not return"
