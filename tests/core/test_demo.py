"""`mat demo` seeds a realistic trust that every part of the platform can show."""
from __future__ import annotations

from sqlalchemy import func, select

from core import audit
from core.concerns import concern_status, entries_of
from core.db import SYSTEM, use_database
from core.demo import seed
from core.calendar import london_today
from core.families import address_key
from core.models import (AgencyContact, Concern, ConcernCategoryLink, FamilyLink, Membership,
                         Pupil, School)
from core.pupils import family_of, flags_on
from core.plugins import current_host


def test_demo_trust_is_complete_and_consistent(database_factory, backend, host):
    url, db = database_factory.create(backend)
    use_database(db)  # plugins' demo data enqueue jobs (mail) on the current database
    result = seed(db, pupils_per_school=40)
    with db.session(SYSTEM) as s:
        schools = s.scalars(select(School)).all()
        assert len(schools) == 3
        for sc in schools:
            # the core seeds 40 each; the transition plugin's demo may add pupils it moved in
            assert s.scalar(select(func.count()).select_from(Pupil).where(
                Pupil.school_id == sc.id, Pupil.transferred_from_id.is_(None))) == 40
            assert current_host().enabled(s, sc.id) == set(current_host().names)
        roles = {m.role for m in s.scalars(select(Membership))}
        assert roles == {"staff", "dsl", "deputy_dsl", "headteacher", "school_admin",
                         "trust_lead", "trust_admin"}
        concerns = s.scalars(select(Concern)).all()
        # 55 recorded by staff in each school, and one for each of the two siblings of the
        # converging-signals case (core/signals/demo.py); plugins add their own (Encompass
        # opens one for each matched child)
        assert len([c for c in concerns if c.source == "staff"]) == 3 * 55 + 2
        categories = set(s.scalars(select(ConcernCategoryLink.category_id)))
        assert len(categories) >= 8
        statuses = {concern_status(entries_of(s, c.id)) for c in concerns}
        assert statuses == {"awaiting_triage", "open", "closed"}
        cross_school = [link for link in s.scalars(select(FamilyLink))
                        if s.get(Pupil, link.pupil_id).school_id
                        != s.get(Pupil, link.related_pupil_id).school_id]
        assert cross_school, "the demo should show siblings at different schools"
        # one family to show: a child on a child protection plan with a social worker, a
        # half-sibling linked at the secondary school, and a suggested link at the same address
        worker = s.scalar(select(AgencyContact).where(AgencyContact.role == "social_worker"))
        assert worker is not None and "cp_plan" in flags_on(s, worker.pupil_id, london_today())
        child = s.get(Pupil, worker.pupil_id)
        at_home = [p for p in s.scalars(select(Pupil).where(Pupil.address.is_not(None)))
                   if address_key(p.address) == address_key(child.address)]
        assert len({p.school_id for p in at_home}) == 3
        linked = {o.id for _, o, _ in family_of(s, child.id)}
        assert any(p.id not in linked and p.id != child.id for p in at_home)
        assert audit.verify(s).ok
    assert len(result.accounts) == 2 + 3 * 5
