"""Agency contacts: the professionals around a pupil, checked, audited, ended not deleted, kept
to the pupil's school, and carried (the current ones) in the transfer package."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core import contacts
from core.calendar import london_today
from core.chronology import core_transfer_sections
from core.errors import NotFound, TenantViolation, ValidationError
from core.models import AgencyContact, AuditEntry


def _social_worker(session, dsl, school, pupil, **kw):
    data = dict(role="social_worker", name="Jo Bell", organisation="Leeds Children's Social Care",
                phone="0113 496 0000", email="jo.bell@example.org",
                start_date=dt.date(2026, 9, 14))
    data.update(kw)
    return contacts.add_contact(session, dsl, school.id, pupil.id, **data)


def test_the_dsl_adds_and_reads_contacts_and_both_are_audited(
        session, make_school, make_pupil, make_user):
    school = make_school()
    pupil = make_pupil(school)
    _, dsl = make_user("dsl", school)
    row = _social_worker(session, dsl, school, pupil, notes="Core group every six weeks")
    nurse = contacts.add_contact(session, dsl, school.id, pupil.id, role="school_nurse",
                                 name="Priya Shah")
    assert nurse.start_date == london_today() and nurse.organisation == ""
    listed = contacts.list_contacts(session, dsl, school.id, pupil.id)
    assert [c.id for c in listed] == [row.id, nurse.id]  # in the order of the roles
    actions = [e.action for e in session.scalars(select(AuditEntry).where(
        AuditEntry.action.like("contacts.%")).order_by(AuditEntry.id))]
    assert actions == ["contacts.added", "contacts.added", "contacts.read"]


def test_every_field_is_checked_and_named(session, make_school, make_pupil, make_user):
    school = make_school()
    pupil = make_pupil(school)
    _, dsl = make_user("dsl", school)
    cases = {
        "role": dict(role="friend"),
        "name": dict(name="  "),
        "email": dict(email="jo.bell@"),
        "phone": dict(phone="call me"),
        "end_date": dict(end_date=dt.date(2026, 9, 1)),
        "start_date": dict(start_date=None),
        "notes": dict(notes="x" * 1001),
    }
    for field, bad in cases.items():
        with pytest.raises(ValidationError) as err:
            _social_worker(session, dsl, school, pupil, **bad)
        assert set(err.value.errors) == {field}, field
    with pytest.raises(ValidationError) as err:
        _social_worker(session, dsl, school, pupil, trust_id=3)
    assert set(err.value.errors) == {"trust_id"}
    for good in ("jo@example.org", "jo.bell+cp@leeds.gov.uk", ""):
        assert contacts.email_problem(good) is None
    for bad in ("jo@example", "jo bell@example.org", "@example.org", "jo@@example.org"):
        assert contacts.email_problem(bad), bad
    for good in ("0113 496 0000", "+44 (0)113 496-0000", "07700 900123 ext 12"):
        assert contacts.phone_problem(good) is None, good
    assert contacts.phone_problem("12345") and contacts.phone_problem("1" * 16)
    assert session.scalar(select(AgencyContact.id)) is None


def test_ending_keeps_the_contact(session, make_school, make_pupil, make_user):
    school = make_school()
    pupil = make_pupil(school)
    _, dsl = make_user("dsl", school)
    row = _social_worker(session, dsl, school, pupil)
    with pytest.raises(ValidationError) as err:
        contacts.end_contact(session, dsl, school.id, pupil.id, row.id, dt.date(2026, 9, 1))
    assert set(err.value.errors) == {"end_date"}
    yesterday = london_today() - dt.timedelta(days=1)
    contacts.end_contact(session, dsl, school.id, pupil.id, row.id, yesterday)
    assert session.get(AgencyContact, row.id).end_date == yesterday
    with pytest.raises(ValidationError) as err:
        contacts.end_contact(session, dsl, school.id, pupil.id, row.id)
    assert "already ended" in err.value.errors["contact"][0]
    assert contacts.list_contacts(session, dsl, school.id, pupil.id, include_ended=False) == []
    assert [c.id for c in contacts.list_contacts(session, dsl, school.id, pupil.id)] == [row.id]


def test_only_the_dsl_team_writes_and_the_trust_lead_reads(
        session, make_trust, make_school, make_pupil, make_user):
    trust = make_trust()
    a, b = make_school(trust), make_school(trust)
    pupil = make_pupil(a)
    _, dsl_a = make_user("dsl", a)
    row = _social_worker(session, dsl_a, a, pupil)
    _, lead = make_user("trust_lead", trust=trust)
    assert [c.name for c in contacts.list_contacts(session, lead, a.id, pupil.id)] == ["Jo Bell"]
    with pytest.raises(NotFound):
        _social_worker(session, lead, a, pupil)
    for role, school in (("dsl", b), ("staff", a), ("headteacher", a), ("school_admin", a)):
        _, actor = make_user(role, school)
        with pytest.raises(NotFound):
            contacts.list_contacts(session, actor, a.id, pupil.id)
        with pytest.raises(NotFound):
            contacts.end_contact(session, actor, a.id, pupil.id, row.id)
    # a DSL of school B naming their own school in the call still cannot reach A's contact
    _, dsl_b = make_user("dsl", b)
    pupil_b = make_pupil(b)
    with pytest.raises(NotFound):
        contacts.end_contact(session, dsl_b, b.id, pupil_b.id, row.id)
    assert session.get(AgencyContact, row.id).end_date is None


def test_a_scoped_session_cannot_see_or_write_another_schools_contacts(
        db, session, make_trust, make_school, make_pupil, make_user):
    trust = make_trust()
    a, b = make_school(trust), make_school(trust)
    pupil = make_pupil(a)
    _, dsl_a = make_user("dsl", a)
    _, dsl_b = make_user("dsl", b)
    _social_worker(session, dsl_a, a, pupil)
    session.commit()
    scoped = db.session(dsl_b.scope())
    try:
        assert scoped.scalars(select(AgencyContact)).all() == []
        scoped.add(AgencyContact(school_id=a.id, pupil_id=pupil.id, role="other", name="X",
                                 start_date=dt.date(2026, 9, 1)))
        with pytest.raises(TenantViolation):
            scoped.flush()
    finally:
        scoped.rollback()
        scoped.close()


def test_current_contacts_go_in_the_transfer_package(session, make_school, make_pupil,
                                                     make_user):
    school = make_school()
    pupil = make_pupil(school)
    _, dsl = make_user("dsl", school)
    _social_worker(session, dsl, school, pupil)
    old = contacts.add_contact(session, dsl, school.id, pupil.id, role="early_help",
                               name="Old Worker", start_date=dt.date(2025, 1, 6),
                               end_date=dt.date(2025, 7, 1))
    assert old.end_date < london_today()
    sections = {s.title: s for s in core_transfer_sections(session, school.id, pupil.id)}
    section = sections["Agency contacts"]
    assert section.plugin == "core"
    assert section.data == {"contacts": [{
        "title": "Social worker: Jo Bell", "role": "Social worker", "name": "Jo Bell",
        "organisation": "Leeds Children's Social Care", "phone": "0113 496 0000",
        "email": "jo.bell@example.org", "from": "2026-09-14", "notes": ""}]}
