"""The needs analysis on crafted concern data: counts by category against staff trained for
the matching course; nothing about any concern or child."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from core.calendar import LONDON
from core.errors import NotFound
from core.models import AuditEntry, ConcernCategory
from plugins.training.service import needs_analysis, unmapped_categories

from .training_constants import TODAY

D = dt.date


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0), LONDON)


def test_online_safety_concerns_rise_where_few_staff_are_trained(
        session, make_school, make_pupil, make_concern, make_person, make_user, courses,
        add_done):
    school = make_school()
    other = make_school(trust=school.trust)
    cats = {c.code: c.id for c in session.scalars(select(ConcernCategory).where(
        ConcernCategory.trust_id == school.trust_id))}
    child, elsewhere = make_pupil(school), make_pupil(other)

    def concern(day, *codes, where=school, pupil=child):
        make_concern(where, [pupil], occurred_at=_at(day), recorded_at=_at(day),
                     category_ids=[cats[c] for c in codes])

    # the last 90 days run from 27 Aug 2026 to 24 Nov 2026
    concern(D(2026, 11, 20), "online_safety")
    concern(D(2026, 10, 1), "online_safety", "cse")   # counted once for online safety
    concern(D(2026, 8, 27), "online_safety")          # first day of the window
    concern(D(2026, 8, 26), "online_safety")          # the 90 days before
    concern(D(2026, 3, 1), "online_safety")           # older still: not counted
    concern(D(2026, 9, 15), "radicalisation")
    concern(D(2026, 9, 16), "neglect")
    concern(D(2026, 9, 17), "neglect")
    concern(D(2026, 9, 18), "online_safety", where=other, pupil=elsewhere)  # another school

    c = courses(school.trust_id)
    t1, t2, t3, t4 = (make_person(school, "teacher") for _ in range(4))
    add_done(t1, c["online_safety"], D(2026, 1, 10))   # in date (12 months)
    add_done(t2, c["online_safety"], D(2025, 6, 1))    # expired
    add_done(t1, c["prevent"], D(2025, 1, 1))
    add_done(t3, c["prevent"], D(2026, 2, 1))

    _, head = make_user("headteacher", school=school)
    rows = needs_analysis(session, head, school.id, days=90, today=TODAY)
    got = [(n.category_code, n.concerns, n.concerns_before, n.course.code, n.trained, n.staff,
            n.trained_pct, n.rising, n.gap) for n in rows]
    assert got == [
        ("online_safety", 3, 1, "online_safety", 1, 4, 25.0, True, True),
        ("radicalisation", 1, 0, "prevent", 2, 4, 50.0, True, False),
    ]
    assert unmapped_categories(session, school.id, 90, TODAY) == [
        ("Neglect", 2), ("Child sexual exploitation", 1)]
    # counts only: no field of a row names a concern, pupil or person
    fields = {f.name for f in dataclasses.fields(rows[0])}
    assert fields == {"category_code", "category_label", "concerns", "concerns_before",
                      "course", "trained", "staff"}
    assert session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)) \
        == "training.needs_read"


def test_needs_analysis_is_for_training_leads_and_the_trust(session, make_school, make_user):
    school = make_school()
    for role, kw in (("dsl", {"school": school}), ("school_admin", {"school": school}),
                     ("trust_lead", {"trust": school.trust})):
        _, actor = make_user(role, **kw)
        assert needs_analysis(session, actor, school.id, today=TODAY) == []
    for role, kw in (("staff", {"school": school}),
                     ("dsl", {"school": make_school(trust=school.trust)})):
        _, actor = make_user(role, **kw)
        with pytest.raises(NotFound):
            needs_analysis(session, actor, school.id, today=TODAY)
