import datetime as dt

import pytest

from core import concerns, pupils
from core.calendar import LONDON
from core.chronology import chronology_pdf, pupil_chronology
from core.errors import NotFound, ValidationError
from core.overview import trust_overview


def test_add_pupil_validates_every_field(session, make_school):
    school = make_school()
    with pytest.raises(ValidationError) as err:
        pupils.add_pupil(session, None, school.id, first_name="", last_name="X",
                         upn="A123", date_of_birth="2015-01-01", year_group=20,
                         on_roll_from=None, gender="Q")
    assert set(err.value.errors) == {"first_name", "upn", "date_of_birth", "year_group",
                                     "on_roll_from", "gender"}


def test_duplicate_upn_in_one_school_is_refused(session, make_school, make_pupil):
    school = make_school()
    make_pupil(school, upn="P207000016049")
    with pytest.raises(ValidationError) as err:
        make_pupil(school, upn="P207000016049")
    assert "already on this school's roll" in err.value.errors["upn"][0]


def test_family_across_schools_is_named_but_opened_only_with_access(
        session, make_trust, make_school, make_pupil, make_user):
    trust = make_trust()
    a, b = make_school(trust), make_school(trust)
    pa = make_pupil(a, first_name="Kai", last_name="Nowak")
    pb = make_pupil(b, first_name="Maja", last_name="Nowak")
    _, dsl_a = make_user("dsl", a)
    with pytest.raises(NotFound):  # a DSL of one school cannot link pupils of two
        pupils.link_family(session, dsl_a, pa.id, pb.id)
    _, lead = make_user("trust_lead", trust=trust)
    pupils.link_family(session, lead, pb.id, pa.id, "sibling")
    fam = pupils.visible_family(session, dsl_a, a.id, pa.id)
    assert [(f["name"], f["school_id"], f["can_open"]) for f in fam] == [("Maja Nowak", b.id, False)]
    assert pupils.visible_family(session, lead, a.id, pa.id)[0]["can_open"] is True
    _, staff = make_user("staff", a)
    with pytest.raises(NotFound):
        pupils.visible_family(session, staff, a.id, pa.id)


def test_flags_change_over_time(session, make_school, make_pupil, make_user):
    school = make_school()
    p = make_pupil(school)
    _, dsl = make_user("dsl", school)
    pupils.set_flag(session, dsl, school.id, p.id, "cp_plan", dt.date(2026, 1, 10))
    pupils.end_flag(session, dsl, school.id, p.id, "cp_plan", dt.date(2026, 6, 30))
    assert pupils.flags_on(session, p.id, dt.date(2026, 3, 1)) == {"cp_plan"}
    assert pupils.flags_on(session, p.id, dt.date(2026, 7, 1)) == set()
    with pytest.raises(ValidationError):
        pupils.end_flag(session, dsl, school.id, p.id, "cp_plan", dt.date(2026, 7, 2))
    with pytest.raises(ValidationError):
        pupils.set_flag(session, dsl, school.id, p.id, "vip", dt.date(2026, 1, 1))


def test_chronology_filters_and_pdf(session, make_school, make_pupil, make_user, make_concern):
    school = make_school(plugins=[])
    p = make_pupil(school, first_name="Zoë", last_name="Łukasz")
    _, dsl = make_user("dsl", school)
    c = make_concern(school, [p], occurred_at=dt.datetime(2026, 10, 5, 10, tzinfo=LONDON),
                     fact="Hungry at breakfast club")
    concerns.add_entry(session, dsl, school.id, c.id, "referral", referral_to="early_help",
                       body="Family agreed to early help")
    items = pupil_chronology(session, dsl, school.id, p.id)
    kinds = [i.kind for i in items]
    assert "concern" in kinds and "entry:referral" in kinds and "roll" in kinds
    only = pupil_chronology(session, dsl, school.id, p.id, kinds={"concern"})
    assert [i.kind for i in only] == ["concern"]
    dated = pupil_chronology(session, dsl, school.id, p.id, start=dt.date(2026, 10, 1),
                             end=dt.date(2026, 10, 31))
    assert [i.kind for i in dated] == ["concern"]
    pdf = chronology_pdf(items, p, school.name, "User")
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


def test_core_overview_figures(session, make_trust, make_school, make_pupil, make_user,
                               make_concern):
    trust = make_trust()
    school = make_school(trust, plugins=[])
    ps = [make_pupil(school) for _ in range(4)]
    make_pupil(school, on_roll_from=dt.date(2026, 9, 1), on_roll_to=dt.date(2026, 9, 2))
    make_pupil(school, on_roll_from=dt.date(2025, 9, 1), on_roll_to=dt.date(2026, 7, 20))  # left before
    _, dsl = make_user("dsl", school)
    c1 = make_concern(school, [ps[0]])
    make_concern(school, [ps[1]])
    concerns.add_entry(session, dsl, school.id, c1.id, "action", body="x",
                       due_date=dt.date.today() + dt.timedelta(days=1))
    _, lead = make_user("trust_lead", trust=trust)
    today = dt.date.today()
    ov = trust_overview(session, lead, trust.id, dt.date(2026, 9, 1), today)
    cells = ov.cells[school.id]
    # 5 pupils on roll at some point since 1 Sept (4 + the one who left on 2 Sept);
    # 2 concerns recorded today => 2 / 5 * 100 = 40 per 100
    assert cells["core.pupils"] == 5
    assert cells["core.concerns_per_100"] == 40.0
    assert cells["core.open_cases"] == 2 and cells["core.awaiting_triage"] == 1
    assert cells["core.overdue_actions"] == 0
    _, other_lead = make_user("trust_lead", trust=make_trust())
    with pytest.raises(NotFound):
        trust_overview(session, other_lead, trust.id, dt.date(2026, 9, 1), today)
