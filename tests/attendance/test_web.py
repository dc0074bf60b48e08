"""Pages and API: who sees what, imports through the page and the API, plugin off."""
import datetime as dt
import io

import pytest
from tests.attendance.conftest import weekdays
from sqlalchemy import select

from core.plugins import current_host
from plugins.attendance.service import analyse_school
from tests.attendance.conftest import stored_marks

CSRF = "test-csrf-token"  # what the shared login_as fixture puts in the session
D = dt.date
MON = D(2025, 9, 8)
H = {"X-CSRF-Token": CSRF}  # the API takes the session's token in a header
RANGE = "?start=2025-09-01&end=2025-09-30"


@pytest.fixture
def register(session, make_school, make_pupil, days):
    """A school where one pupil is persistently absent (10 days of N: a CME signal too)."""
    school = make_school()
    absent = make_pupil(school, first_name="Absent", last_name="Child")
    fine = make_pupil(school, first_name="Fine", last_name="Child")
    days(school, absent, weekdays(MON, 10), "N")
    days(school, fine, weekdays(MON, 10), "/")
    analyse_school(session, school.id, D(2025, 9, 19))
    return school, absent, fine


@pytest.mark.parametrize("role,status", [("dsl", 200), ("deputy_dsl", 200), ("staff", 404),
                                         ("headteacher", 404), ("school_admin", 404)])
def test_dashboard_by_role(client, login_as, register, role, status):
    school, absent, fine = register
    login_as(role, school=school)
    r = client.get(f"/schools/{school.id}/attendance/{RANGE}")
    assert r.status_code == status
    if status == 200:
        html = r.get_data(as_text=True)
        assert 'id="attendance-pct">50.0%' in html
        assert "Absent Child" in html and "Fine Child" not in html  # only the PA pupil listed
        assert "10 school days of continuous unauthorised absence" in html
        assert f"/schools/{school.id}/concerns/new?pupil_id={absent.id}" in html


def test_dashboard_for_trust_lead_and_not_another_schools_dsl(client, login_as, register,
                                                              make_school):
    school, _, _ = register
    other = make_school(trust=school.trust)  # (data first: requests change the connection)
    login_as("trust_lead", trust=school.trust)
    assert client.get(f"/schools/{school.id}/attendance/{RANGE}").status_code == 200
    login_as("dsl", school=other)
    assert client.get(f"/schools/{school.id}/attendance/{RANGE}").status_code == 404


def test_import_page_runs_the_job_and_reports(client, login_as, session, make_school,
                                              make_pupil, upn):
    school = make_school()
    p = make_pupil(school, upn=upn())
    login_as("school_admin", school=school)
    data = {"csrf_token": CSRF, "source": "csv", "format": "long", "pupil": "UPN",
            "date": "Date", "session": "Session", "code": "Mark",
            "file": (io.BytesIO(f"UPN,Date,Session,Mark\n{p.upn},2025-09-08,AM,/\n"
                                f"{p.upn},2025-09-08,PM,QQ\n".encode()), "marks.csv")}
    r = client.post(f"/schools/{school.id}/attendance/import", data=data,
                    content_type="multipart/form-data")
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Nothing was imported: 1 problem found" in page and "&#39;QQ&#39; is not a register" \
        in page
    assert stored_marks(session, p.id) == []
    data["file"] = (io.BytesIO(f"UPN,Date,Session,Mark\n{p.upn},2025-09-08,AM,/\n".encode()),
                    "marks.csv")
    r = client.post(f"/schools/{school.id}/attendance/import", data=data,
                    content_type="multipart/form-data")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Imported 1 marks" in page


def test_import_page_refused_to_staff_and_without_csrf(client, login_as, make_school):
    school = make_school()
    login_as("staff", school=school)
    assert client.get(f"/schools/{school.id}/attendance/import").status_code == 404
    login_as("dsl", school=school)
    r = client.post(f"/schools/{school.id}/attendance/import", data={"source": "csv"})
    assert r.status_code in (400, 403)


def test_api_json_import_and_422_naming_each_field(client, login_as, session, make_school,
                                                   make_pupil, upn):
    school = make_school()
    p = make_pupil(school, upn=upn())
    login_as("dsl", school=school)
    url = f"/api/v1/schools/{school.id}/attendance/imports"
    bad = {"marks": [{"upn": p.upn, "date": "2025-09-08", "session": "AM", "code": "/"},
                     {"upn": "nobody", "date": "2025-09-08", "session": "PM", "code": "/"},
                     {"upn": p.upn, "date": "8th Sept", "session": "AM", "code": "/"},
                     {"upn": p.upn, "date": "2025-09-08", "session": "AM", "code": "N"}]}
    r = client.post(url, json=bad, headers=H)
    assert r.status_code == 422
    errors = r.get_json()["errors"]["json"]
    assert set(errors) == {"marks[1].upn", "marks[2].date", "marks[3]"}
    assert stored_marks(session, p.id) == []
    good = {"marks": [{"upn": p.upn, "date": "2025-09-08", "session": "AM", "code": "/"},
                      {"upn": p.upn, "date": "2025-09-08", "session": "PM", "code": "N"}]}
    r = client.post(url, json=good, headers=H)
    assert r.status_code == 201 and r.get_json()["marks_imported"] == 2


def test_api_file_upload(client, login_as, make_school, make_pupil, upn):
    school = make_school()
    p = make_pupil(school, upn=upn())
    login_as("school_admin", school=school)
    r = client.post(f"/api/v1/schools/{school.id}/attendance/imports",
                    data={"source": "csv", "layout": '{"code": "Code"}',
                          "file": (io.BytesIO(f"UPN,Date,Session,Code\n{p.upn},2025-09-08,AM,/\n"
                                              .encode()), "m.csv")},
                    content_type="multipart/form-data", headers=H)
    assert r.status_code == 201
    body = r.get_json()
    status = client.get(f"/api/v1/schools/{school.id}/attendance/imports/{body['id']}").get_json()
    assert status["status"] == "done" and status["marks_imported"] == 1


def test_api_pupil_and_summary(client, login_as, register):
    school, absent, fine = register
    login_as("dsl", school=school)
    r = client.get(f"/api/v1/schools/{school.id}/attendance/pupils/{absent.id}{RANGE}")
    body = r.get_json()
    assert r.status_code == 200 and len(body["marks"]) == 20
    assert body["measures"]["unauthorised"] == 20 and body["measures"]["severe_absence"] is True
    login_as("headteacher", school=school)
    assert client.get(f"/api/v1/schools/{school.id}/attendance/pupils/{absent.id}{RANGE}"
                      ).status_code == 404
    s = client.get(f"/api/v1/schools/{school.id}/attendance/summary{RANGE}").get_json()
    assert (s["pupils"], s["attendance_pct"], s["pa_pct"], s["sa_pct"]) == (2, 50.0, 50.0, 50.0)
    assert s["open_signals"] == 1
    bad = client.get(f"/api/v1/schools/{school.id}/attendance/summary?start=2025-13-01")
    assert bad.status_code == 422 and "start" in bad.get_json()["errors"]["query"]


def test_plugin_off_for_one_school(client, login_as, session, host, register, make_school,
                                   make_pupil, days):
    school, absent, _ = register
    off = make_school(trust=school.trust, plugins=[n for n in host.names if n != "attendance"])
    p = make_pupil(off)
    days(off, p, weekdays(MON, 10), "N")
    assert analyse_school(session, off.id, D(2025, 9, 19)) == []
    login_as("dsl", school=off)
    assert client.get(f"/schools/{off.id}/attendance/{RANGE}").status_code == 404
    assert client.get(f"/api/v1/schools/{off.id}/attendance/summary").status_code == 404
    for hook, kw in (("mat_trust_metrics", {"start": D(2025, 9, 1), "end": D(2025, 9, 30)}),
                     ("mat_chronology_entries", {"pupil_id": p.id, "start": None, "end": None}),
                     ("mat_transfer_sections", {"pupil_id": p.id})):
        on = current_host().call_for_school(session, school.id, hook, **(
            kw if hook == "mat_trust_metrics" else {**kw, "pupil_id": absent.id}))
        off_items = current_host().call_for_school(session, off.id, hook, **kw)
        assert any(getattr(i, "plugin", None) == "attendance" for i in on)
        assert not any(getattr(i, "plugin", None) == "attendance" for i in off_items)


def test_trust_metrics_and_national_figures(session, register):
    school, _, _ = register
    metrics = {m.key: m.value for m in current_host().call_for_school(
        session, school.id, "mat_trust_metrics", start=D(2025, 9, 1), end=D(2025, 9, 30))
        if m.plugin == "attendance"}
    assert metrics == {"attendance_pct": 50.0, "pa_pct": 50.0, "sa_pct": 50.0,
                       "open_signals": 1}
    defs = {d.key: d.national for d in current_host().call_global("mat_metric_definitions")
            if d.plugin == "attendance"}
    # 2021/22 full year, school census: overall absence 7.6% -> 92.4% attendance; PA 22.5%
    assert defs == {"attendance_pct": 92.4, "pa_pct": 22.5, "sa_pct": None, "open_signals": None}


def test_transfer_section_and_chronology(session, register):
    school, absent, _ = register
    from plugins.attendance.service import transfer_section

    sec = transfer_section(session, school.id, absent.id, today=D(2025, 9, 30))
    assert sec.data["this_year"]["attendance_pct"] == 0.0
    assert sec.data["this_year"]["unauthorised_sessions"] == 20
    assert sec.data["last_year"]["possible"] == 0
    assert [s["kind"] for s in sec.data["signals"]] == ["cme_la"]
    items = current_host().call_for_school(session, school.id, "mat_chronology_entries",
                                           pupil_id=absent.id, start=None, end=None)
    att = [i for i in items if i.plugin == "attendance"]
    assert len(att) == 1 and att[0].at.date() == MON


def test_pupil_panel_for_case_readers_only(app, session, register, make_user):
    school, absent, _ = register
    _, staff = make_user("staff", school=school)
    _, dsl = make_user("dsl", school=school)
    with app.test_request_context():
        mine = [p for p in current_host().call_for_school(
            session, school.id, "mat_pupil_panels", pupil_id=absent.id, actor=dsl)
            if p.plugin == "attendance"]
        theirs = [p for p in current_host().call_for_school(
            session, school.id, "mat_pupil_panels", pupil_id=absent.id, actor=staff)
            if p.plugin == "attendance"]
    assert theirs == [] and len(mine) == 1
    # two weeks of N: each week 10 possible, 0 attended, 10 unauthorised
    assert mine[0].html.count("<td>10</td><td>0</td><td>0</td><td>10</td>") == 2
    assert "8 September 2025" in mine[0].html and "15 September 2025" in mine[0].html


def test_signal_review_by_dsl(client, login_as, session, register):
    school, absent, _ = register
    from plugins.attendance.models import Signal

    sig = session.scalar(select(Signal).where(Signal.pupil_id == absent.id))
    login_as("headteacher", school=school)
    url = f"/schools/{school.id}/attendance/signals/{sig.id}/reviewed"
    assert client.post(url, data={"csrf_token": CSRF}).status_code == 404
    login_as("dsl", school=school)
    assert client.post(url, data={"csrf_token": CSRF}).status_code == 302
    session.expire_all()
    assert session.get(Signal, sig.id).reviewed_at is not None


def test_dashboard_panel_for_dsl_and_not_where_off(app, session, host, register, make_school,
                                                   make_user):
    school, _, _ = register
    off = make_school(trust=school.trust, plugins=[n for n in host.names if n != "attendance"])
    _, dsl = make_user("dsl", school=school)
    _, dsl_off = make_user("dsl", school=off)
    with app.test_request_context():
        on = [p for p in current_host().call_for_school(
            session, school.id, "mat_dashboard_panels", actor=dsl) if p.plugin == "attendance"]
        gone = [p for p in current_host().call_for_school(
            session, off.id, "mat_dashboard_panels", actor=dsl_off) if p.plugin == "attendance"]
    assert gone == [] and len(on) == 1
    # the register fixture's signal is open, so the panel lists it
    assert "10 school days of continuous unauthorised absence" in on[0].html
    assert f"/schools/{school.id}/attendance/" in on[0].html
