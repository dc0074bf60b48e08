"""The compliance matrix's cells (worked out once per role and per completion date, for a
trust's thousands of cells) are the per-person rules' answers: for any staff and records,
each person's cell for each course is what :func:`person_courses` gives that person alone
(needed courses only), and the school's counts add the cells up."""
from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugins.training.models import JOB_ROLES
from plugins.training.service import build_matrix, person_courses

from .training_constants import TODAY

people = st.lists(st.tuples(st.sampled_from(sorted(JOB_ROLES)),
                            st.sampled_from([None, "dsl", "deputy_dsl"]), st.booleans(),
                            st.lists(st.tuples(st.integers(0, 7), st.integers(0, 2000)),
                                     max_size=4)),
                  min_size=1, max_size=6)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(staff=people)
def test_matrix_cells_equal_each_persons_own_rules(session, make_school, make_person, courses,
                                                   add_done, staff):
    school = make_school()
    every = list(courses(school.trust_id).values())
    made = []
    for job, sg, recruits, done in staff:
        person = make_person(school, job, safeguarding_role=sg, recruits=recruits)
        for course_ix, days_ago in done:
            add_done(person, every[course_ix % len(every)],
                     TODAY - dt.timedelta(days=days_ago))
        made.append(person)
    m = build_matrix(session, school.id, TODAY)
    statuses = {}
    for row in m.rows:
        own = {c.id: state for c, state, needed in
               person_courses(session, school.id, row.person, TODAY) if needed}
        assert {cid: s for cid, s in row.cells.items() if s is not None} == own
        for s in own.values():
            statuses[s.status] = statuses.get(s.status, 0) + 1
    assert {k: v for k, v in m.counts.items() if v} == statuses
    assert len(m.rows) == len(made)
