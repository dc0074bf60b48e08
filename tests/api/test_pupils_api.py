import datetime as dt

from sqlalchemy import func, select

from core.models import AuditEntry, Pupil, PupilFlag

NEW_PUPIL = {"first_name": "Ava", "last_name": "Nowak", "date_of_birth": "2016-03-14",
             "year_group": 5, "on_roll_from": "2026-09-03", "upn": "P207000016049"}


def test_search_pages_through_the_roll_in_name_order(caller, make_school, make_pupil):
    school = make_school()
    for last in ("Cole", "Adams", "Baker"):
        make_pupil(school, last_name=last)
    make_pupil(school, last_name="Gone", on_roll_to=dt.date(2026, 1, 1))
    staff = caller("staff", school)
    url = f"/api/v1/schools/{school.id}/pupils"
    first = staff.get(url, query_string={"per_page": 2}).get_json()
    assert [p["last_name"] for p in first["items"]] == ["Adams", "Baker"]
    assert first["has_more"] is True
    second = staff.get(url, query_string={"per_page": 2, "page": 2}).get_json()
    assert [p["last_name"] for p in second["items"]] == ["Cole"]
    assert second["has_more"] is False
    found = staff.get(url, query_string={"q": "bak"}).get_json()["items"]
    assert [p["last_name"] for p in found] == ["Baker"]
    with_left = staff.get(url, query_string={"include_left": "true", "per_page": 10}).get_json()
    assert "Gone" in [p["last_name"] for p in with_left["items"]]
    assert "address" not in first["items"][0]


def test_paging_arguments_are_checked(caller, make_school):
    school = make_school()
    r = caller("staff", school).get(f"/api/v1/schools/{school.id}/pupils",
                                    query_string={"per_page": 500, "page": "x"})
    assert r.status_code == 422
    assert set(r.get_json()["errors"]["query"]) == {"per_page", "page"}


def test_school_admin_puts_a_pupil_on_roll(caller, make_school, session):
    school = make_school()
    admin = caller("school_admin", school)
    r = admin.post(f"/api/v1/schools/{school.id}/pupils", json=NEW_PUPIL)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert (body["first_name"], body["upn"], body["year_group"]) == ("Ava", "P207000016049", 5)
    pupil = session.get(Pupil, body["id"])
    assert pupil.school_id == school.id and pupil.date_of_birth == dt.date(2016, 3, 14)
    again = admin.post(f"/api/v1/schools/{school.id}/pupils", json=NEW_PUPIL)
    assert again.status_code == 422
    assert again.get_json()["errors"]["json"]["upn"] == [
        "P207000016049 is already on this school's roll"]


def test_wrong_upn_check_letter_names_the_field_and_stores_nothing(caller, make_school,
                                                                   session):
    school = make_school()
    r = caller("dsl", school).post(f"/api/v1/schools/{school.id}/pupils",
                                   json={**NEW_PUPIL, "upn": "Q207000016049", "year_group": 20,
                                         "nickname": "A"})
    assert r.status_code == 422
    errors = r.get_json()["errors"]["json"]
    assert set(errors) == {"year_group", "nickname"}  # types and shape first
    r = caller("dsl", school).post(f"/api/v1/schools/{school.id}/pupils",
                                   json={**NEW_PUPIL, "upn": "Q207000016049"})
    assert r.get_json()["errors"]["json"] == {"upn": ["check letter should be P, not Q"]}
    assert session.scalar(select(func.count()).select_from(Pupil)) == 0


def test_staff_and_headteachers_cannot_add_pupils(caller, make_school, session):
    school = make_school()
    for role in ("staff", "headteacher", "trust_lead"):
        kw = {"trust": school.trust} if role == "trust_lead" else {"school": school}
        r = caller(role, **kw).post(f"/api/v1/schools/{school.id}/pupils", json=NEW_PUPIL)
        assert r.status_code == 404, role
    assert session.scalar(select(func.count()).select_from(Pupil)) == 0


def test_flags_are_for_the_dsl_team_and_ending_keeps_history(caller, make_school, make_pupil,
                                                             session):
    school = make_school()
    pupil = make_pupil(school)
    dsl = caller("dsl", school)
    base = f"/api/v1/schools/{school.id}/pupils/{pupil.id}/flags"
    r = dsl.post(base, json={"flag": "young_carer", "start_date": "2026-09-10", "note": "Mum"})
    assert r.status_code == 201 and r.get_json()["label"] == "Young carer"
    flag_id = r.get_json()["id"]
    assert dsl.post(base, json={"flag": "pet_owner", "start_date": "2026-09-10"}
                    ).get_json()["errors"]["json"] == {"flag": ["Must be one of: sen_support, "
                                                                "ehcp, looked_after, cp_plan, cin, "
                                                                "early_help, young_carer, "
                                                                "pupil_premium, eal."]}
    early = dsl.post(f"{base}/{flag_id}/end", json={"end_date": "2026-09-01"})
    assert early.status_code == 422 and "end_date" in early.get_json()["errors"]["json"]
    assert dsl.post(f"{base}/{flag_id}/end", json={"end_date": "2026-10-01"}).status_code == 200
    rows = dsl.get(base).get_json()
    assert [(f["flag"], f["start_date"], f["end_date"]) for f in rows] == [
        ("young_carer", "2026-09-10", "2026-10-01")]
    assert session.scalar(select(func.count()).select_from(PupilFlag)) == 1
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "pupil.flags_read")) == 1
    assert caller("staff", school).get(base).status_code == 404
    assert caller("trust_lead", trust=school.trust).post(
        base, json={"flag": "cin", "start_date": "2026-09-10"}).status_code == 404


def test_one_pupil_by_id_for_those_who_search(caller, make_school, make_pupil):
    school = make_school()
    pupil = make_pupil(school, first_name="Ava", preferred_name="Avi", last_name="Nowak")
    body = caller("staff", school).get(f"/api/v1/schools/{school.id}/pupils/{pupil.id}"
                                       ).get_json()
    assert (body["display_name"], body["year_group"]) == ("Avi Nowak", 5)
    assert caller("school_admin", school).get(
        f"/api/v1/schools/{school.id}/pupils/{pupil.id}").status_code == 404
    assert caller("staff", school).get(
        f"/api/v1/schools/{school.id}/pupils/987654").status_code == 404
