"""When the dots span schools: each school's DSL is told a linked child at another school has
recent indicators and who that school's DSL team is, never the other school's detail; the
trust lead sees the whole family, audited. Refusals prove the walls."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.errors import NotFound
from core.models import AuditEntry
from core.signals import evaluate, service
from core.signals.models import SignalFiring
from tests.signals.conftest import weekdays

D = dt.date
SECRET = "Disclosed at breakfast club that dad hits mum"


@pytest.fixture
def family(session, make_trust, make_school, make_pupil, make_concern, make_user, days, link):
    """Two schools of one trust: Amy at Oak, her attendance falling; her brother Ben at Elm,
    with a concern recorded there in the same weeks."""
    trust = make_trust()
    oak, elm = make_school(trust=trust, name="Oak Primary"), make_school(trust=trust,
                                                                          name="Elm Academy")
    amy = make_pupil(oak, first_name="Amy", last_name="Stone")
    ben = make_pupil(elm, first_name="Ben", last_name="Stone")
    link(amy, ben)
    days(amy_school := oak, amy, weekdays(D(2025, 9, 8), 20), "/")
    bad = weekdays(D(2025, 10, 6), 10)
    days(amy_school, amy, [d for d in bad if d.weekday() in (0, 1)], "O")
    days(amy_school, amy, [d for d in bad if d.weekday() > 1], "/")
    make_concern(elm, [ben], fact=SECRET,
                 occurred_at=dt.datetime(2025, 10, 8, 9, tzinfo=dt.timezone.utc))
    oak_dsl_user, oak_dsl = make_user("dsl", school=oak)
    elm_dsl_user, elm_dsl = make_user("dsl", school=elm)
    _, lead = make_user("trust_lead", trust=trust)
    evaluate.evaluate_school(session, oak.id, D(2025, 10, 10), incremental=False)
    return dict(trust=trust, oak=oak, elm=elm, amy=amy, ben=ben, oak_dsl=oak_dsl,
                elm_dsl=elm_dsl, lead=lead, elm_dsl_user=elm_dsl_user)


def only(session, school, rule):
    rows = session.scalars(select(SignalFiring).where(SignalFiring.school_id == school.id,
                                                      SignalFiring.rule == rule)).all()
    assert len(rows) == 1, [r.rule for r in rows]
    return rows[0]


def test_this_school_is_told_where_to_ask_not_what(session, family):
    f = only(session, family["oak"], "relative_elsewhere_while_falling")
    assert f.pupil_id == family["amy"].id
    kinds = [i["kind"] for i in f.indicators]
    assert "attendance.falling" in kinds and "core.relative_elsewhere" in kinds
    assert "core.concern" not in kinds
    text = repr(f.indicators) + repr(f.relatives)
    assert SECRET not in text and "Concern" not in text
    view = service.firing(session, family["oak_dsl"], family["oak"].id, f.id)
    [rel] = view.relatives
    assert (rel["name"], rel["school_name"]) == ("Ben Stone", "Elm Academy")
    assert [m["email"] for m in rel["dsl_team"]] == [family["elm_dsl_user"].email]
    assert set(rel) == {"pupil_id", "name", "school_id", "school_name", "dsl_team"}


def test_the_other_school_gets_a_notice_about_its_own_child(session, family):
    notice = only(session, family["elm"], "linked_elsewhere")
    assert notice.pupil_id == family["ben"].id
    kinds = sorted(i["kind"] for i in notice.indicators)
    assert kinds == ["core.concern", "core.relative_elsewhere"]
    back = [i for i in notice.indicators if i["kind"] == "core.relative_elsewhere"][0]
    assert "Oak Primary" in back["label"] and "falling" not in back["label"].lower()
    view = service.firing(session, family["elm_dsl"], family["elm"].id, notice.id)
    assert view.relatives[0]["school_name"] == "Oak Primary"


def test_a_dsl_cannot_open_the_other_schools_firing(session, family):
    notice = only(session, family["elm"], "linked_elsewhere")
    mine = only(session, family["oak"], "relative_elsewhere_while_falling")
    with pytest.raises(NotFound):
        service.firing(session, family["oak_dsl"], family["oak"].id, notice.id)
    with pytest.raises(NotFound):
        service.firing(session, family["oak_dsl"], family["elm"].id, notice.id)
    with pytest.raises(NotFound):
        service.decide(session, family["elm_dsl"], family["elm"].id, mine.id,
                       outcome="monitor", reason="not ours")
    with pytest.raises(NotFound):
        service.family_view(session, family["oak_dsl"], family["trust"].id, mine.id)


def test_the_trust_lead_sees_the_whole_family_audited(session, family, make_trust,
                                                      make_user):
    mine = only(session, family["oak"], "relative_elsewhere_while_falling")
    view = service.family_view(session, family["lead"], family["trust"].id, mine.id)
    names = {m["pupil"].display_name: m for m in view["family"]}
    assert set(names) == {"Amy Stone", "Ben Stone"}
    assert [i.kind for i in names["Ben Stone"]["indicators"]] == ["core.concern"]
    assert "attendance.falling" in [i.kind for i in names["Amy Stone"]["indicators"]]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "signals.family_read"))
    assert entry.trust_id == family["trust"].id
    assert set(entry.detail["pupils"]) == {family["amy"].id, family["ben"].id}
    # another trust's lead: no such firing
    other = make_trust()
    _, stranger = make_user("trust_lead", trust=other)
    with pytest.raises(NotFound):
        service.family_view(session, stranger, other.id, mine.id)
    with pytest.raises(NotFound):
        service.family_view(session, stranger, family["trust"].id, mine.id)


def test_the_api_gives_no_date_of_the_other_childs_indicator(client, login_as, session,
                                                             family):
    f = only(session, family["oak"], "relative_elsewhere_while_falling")
    login_as("dsl", school=family["oak"])
    got = client.get(f"/api/v1/schools/{family['oak'].id}/signals/{f.id}").get_json()
    rel = [i for i in got["indicators"] if i["kind"] == "core.relative_elsewhere"]
    own = [i for i in got["indicators"] if i["kind"] == "attendance.falling"]
    assert rel and all(i["date"] is None for i in rel)
    assert own and own[0]["date"] == "2025-10-10"
    assert [r["school_name"] for r in got["relatives"]] == ["Elm Academy"]
    assert SECRET not in str(got)
