import datetime as dt

from sqlalchemy import func, select

from core import pupils
from core.calendar import LONDON
from core.models import AuditEntry


def test_chronology_filters_by_kind_and_uk_dates(caller, make_school, make_pupil, make_concern,
                                                 session):
    school = make_school()
    pupil = make_pupil(school, on_roll_from=dt.date(2025, 9, 3))
    # 00:30 on 1 October in London is still 30 September in UTC: the filter uses UK dates
    make_concern(school, [pupil], occurred_at=dt.datetime(2026, 10, 1, 0, 30, tzinfo=LONDON),
                 fact="Arrived hungry.")
    make_concern(school, [pupil], occurred_at=dt.datetime(2026, 11, 3, 14, 0, tzinfo=LONDON),
                 fact="Upset after lunch.")
    pupils.set_flag(session, None, school.id, pupil.id, "young_carer", dt.date(2026, 10, 20))
    dsl = caller("dsl", school)
    url = f"/api/v1/schools/{school.id}/pupils/{pupil.id}/chronology"
    everything = dsl.get(url).get_json()
    assert [(i["kind"], i["at"][:10]) for i in everything] == [
        ("concern", "2026-11-03"), ("flag", "2026-10-19"), ("concern", "2026-09-30"),
        ("roll", "2025-09-02")]  # newest first; each "at" in UTC
    october = dsl.get(url, query_string={"start": "2026-10-01", "end": "2026-10-31"}).get_json()
    assert [i["detail"] or i["title"] for i in october] == ["Young carer started",
                                                            "Arrived hungry."]
    only = dsl.get(url, query_string=[("kind", "flag"), ("kind", "roll")]).get_json()
    assert [i["kind"] for i in only] == ["flag", "roll"]
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "chronology.read")) == 3


def test_dsl_entries_show_in_the_chronology(caller, make_school, make_pupil, make_concern,
                                            session):
    school = make_school()
    pupil = make_pupil(school)
    concern = make_concern(school, [pupil])
    dsl = caller("dsl", school)
    dsl.post(f"/api/v1/schools/{school.id}/concerns/{concern.id}/entries",
             json={"kind": "referral", "referral_to": "early_help", "body": "Family agreed"})
    items = dsl.get(f"/api/v1/schools/{school.id}/pupils/{pupil.id}/chronology",
                    query_string={"kind": "entry"}).get_json()
    assert len(items) == 1 and items[0]["kind"] == "entry:referral"
    assert items[0]["title"].startswith("Referral to Early help")
    assert items[0]["detail"] == "Family agreed"


def test_bad_periods_are_named_and_staff_get_nothing(caller, make_school, make_pupil):
    school = make_school()
    pupil = make_pupil(school)
    url = f"/api/v1/schools/{school.id}/pupils/{pupil.id}/chronology"
    dsl = caller("dsl", school)
    r = dsl.get(url, query_string={"start": "2026-11-01", "end": "2026-10-01"})
    assert r.status_code == 422 and r.get_json()["errors"]["query"] == {
        "end": ["must not be before start"]}
    r = dsl.get(url, query_string={"start": "01/10/2026"})
    assert r.status_code == 422 and list(r.get_json()["errors"]["query"]) == ["start"]
    for role in ("staff", "headteacher", "school_admin"):
        assert caller(role, school).get(url).status_code == 404
    assert dsl.get(f"/api/v1/schools/{school.id}/pupils/987654/chronology").status_code == 404
