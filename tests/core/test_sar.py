"""Subject access: the items a DSL chooses from, the export with third parties withheld (their
names replaced wherever written), JSON and PDF, refusals named and every step audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core import concerns, contacts, sar
from core.errors import NotFound, ValidationError
from core.models import AuditEntry, School


@pytest.fixture
def case(session, make_school, make_pupil, make_user, make_concern):
    school = make_school()
    amy = make_pupil(school, first_name="Amy", last_name="Brown")
    ben = make_pupil(school, first_name="Ben", last_name="Carter")
    staff_user, staff = make_user("staff", school)
    dsl_user, dsl = make_user("dsl", school)
    both = make_concern(school, [amy, ben], staff,
                        fact="Amy said Ben Carter pushed her; ben carter laughed.")
    own = make_concern(school, [amy], staff, fact="Amy was hungry at break.")
    entry = concerns.add_entry(session, dsl, school.id, own.id, "note",
                               body=f"Spoke to mum. {staff_user.name} saw it too.")
    contacts.add_contact(session, dsl, school.id, amy.id, role="social_worker", name="Jo Bell")
    return dict(school=school, amy=amy, ben=ben, staff_user=staff_user, dsl_user=dsl_user,
                dsl=dsl, both=both, own=own, entry=entry)


def test_the_items_name_every_concern_entry_and_third_party(session, case):
    doc = sar.items(session, case["dsl"], case["school"].id, case["amy"].id)
    assert [c["key"] for c in doc["concerns"]] == [f"concern:{case['both'].id}",
                                                   f"concern:{case['own'].id}"]
    assert doc["concerns"][1]["entries"][0]["key"] == f"entry:{case['entry'].id}"
    people = {p["key"]: p["name"] for p in doc["third_parties"]}
    assert people[f"pupil:{case['ben'].id}"] == "Ben Carter"
    assert people[f"staff:{case['staff_user'].id}"] == case["staff_user"].name
    assert "Jo Bell" in people.values()
    assert f"pupil:{case['amy'].id}" not in people  # the subject is not a third party


def test_the_export_withholds_what_the_dsl_chose_and_is_audited(session, case):
    sid, amy = case["school"].id, case["amy"]
    staff_key = f"staff:{case['staff_user'].id}"
    out = sar.export(session, case["dsl"], sid, amy.id,
                     [f"pupil:{case['ben'].id}", staff_key, f"entry:{case['entry'].id}"])
    both, own = out["concerns"]
    assert both["fact"] == "Amy said [third party] pushed her; [third party] laughed."
    assert both["recorded_by"] == "[third party]"
    assert own["entries"][0]["withheld"] and "body" not in own["entries"][0]
    assert "Ben" not in str(out) and case["staff_user"].name not in str(out)
    assert out["agency_contacts"] == [{"role": "Social worker", "name": "Jo Bell"}]
    pdf = sar.export_pdf(out, amy, "School", "A DSL")
    assert pdf.startswith(b"%PDF")
    withheld = session.scalars(select(AuditEntry.detail).where(
        AuditEntry.action == "sar.exported")).one()
    assert withheld == {"format": "json", "withheld": sorted(
        [f"pupil:{case['ben'].id}", staff_key, f"entry:{case['entry'].id}"])}

    whole = sar.export(session, case["dsl"], sid, amy.id, [f"concern:{case['both'].id}"], "pdf")
    assert whole["concerns"][0] == {"id": case["both"].id, "withheld": True,
                                    "occurred_at": whole["concerns"][0]["occurred_at"],
                                    "note": sar.WITHHELD}


def test_a_key_not_in_the_records_and_a_bad_format_are_named(session, case, make_concern,
                                                             make_pupil):
    sid, amy = case["school"].id, case["amy"]
    stranger = make_pupil(case["school"])
    elsewhere = make_concern(case["school"], [stranger])
    with pytest.raises(ValidationError) as err:
        sar.export(session, case["dsl"], sid, amy.id, [f"concern:{elsewhere.id}", "pupil:x"])
    assert set(err.value.errors) == {"redact"}
    with pytest.raises(ValidationError) as err:
        sar.export(session, case["dsl"], sid, amy.id, [], "docx")
    assert set(err.value.errors) == {"format"}


@pytest.mark.parametrize("role", ["staff", "headteacher", "school_admin"])
def test_only_the_dsl_team_and_the_trust_lead_export(session, case, make_user, make_school, role):
    sid, amy = case["school"].id, case["amy"]
    _, other = make_user(role, case["school"])
    with pytest.raises(NotFound):
        sar.items(session, other, sid, amy.id)
    with pytest.raises(NotFound):
        sar.export(session, other, sid, amy.id, [])
    _, elsewhere = make_user("dsl", make_school())
    with pytest.raises(NotFound):
        sar.export(session, elsewhere, sid, amy.id, [])
    trust = session.get(School, sid).trust
    _, lead = make_user("trust_lead", trust=trust)
    assert sar.export(session, lead, sid, amy.id, [])["pupil"]["name"] == "Amy Brown"
