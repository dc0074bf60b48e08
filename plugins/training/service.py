"""The training plugin's public rules: what its pages, API, jobs, CLI, panels and demo call.

No Flask here. The rules are kept by responsibility in private modules beside this one
(``validity``: when a course runs out; ``compliance``: the staff-by-course matrix; ``needs``:
the needs analysis from the school's concerns; ``courses``, ``staff``, ``records``,
``sessions``, ``policies``, ``importer``, ``reminders``, ``export``); callers outside those
modules go through here, so the plugin has one public surface to read and to test.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from core.calendar import london_today
from core.contributions import Metric, MetricDefinition
from plugins.training.compliance import (
    Matrix,
    build_matrix,
    compliance_matrix,
    dsl_in_date,
    person_courses,
)
from plugins.training.courses import (
    DEFAULT_COURSES,
    REQUIREMENT_TOKENS,
    active_courses,
    add_course,
    ensure_courses,
    person_tokens,
    update_course,
)
from plugins.training.courses import needs as course_applies_to
from plugins.training.definition import NAME
from plugins.training.export import matrix_csv
from plugins.training.importer import MAX_BYTES, MAX_ROWS, check_csv, import_csv, parse_date
from plugins.training.needs import (
    DEFAULT_DAYS,
    GAP_BELOW_PCT,
    needs_analysis,
    needs_for,
    unmapped_categories,
)
from plugins.training.policies import (
    current_policies,
    get_policy,
    policy_status,
    publish as publish_policy,
    record_paper_signature,
    sign_own,
    to_sign,
)
from plugins.training.records import (
    MAX_CERTIFICATE_BYTES,
    Certificate,
    add_record,
    get_certificate,
    records_of,
    withdraw_record,
)
from plugins.training.reminders import queue_reminders
from plugins.training.sessions import attendance as session_attendance
from plugins.training.sessions import (
    create_session,
    follow_ups,
    get_session,
    list_sessions,
    mark_attendance,
)
from plugins.training.staff import (
    add_person,
    current_staff,
    get_person,
    may_see_person,
    own_person,
    update_person,
)
from plugins.training.validity import (
    COMPLIANT,
    DUE,
    DUE_SOON_DAYS,
    EXPIRED,
    IN_DATE,
    MISSING,
    STATUS_LABELS,
    add_months,
    due_on,
    state_on,
)

__all__ = [
    # validity: when a completed course runs out
    "COMPLIANT", "DUE", "DUE_SOON_DAYS", "EXPIRED", "IN_DATE", "MISSING", "STATUS_LABELS",
    "add_months", "due_on", "state_on",
    # the trust's course rules
    "DEFAULT_COURSES", "REQUIREMENT_TOKENS", "active_courses", "add_course",
    "course_applies_to", "ensure_courses", "person_tokens", "update_course",
    # staff and their records
    "add_person", "current_staff", "get_person", "may_see_person", "own_person",
    "update_person", "Certificate", "MAX_CERTIFICATE_BYTES", "add_record", "get_certificate", "records_of",
    "withdraw_record", "MAX_BYTES", "MAX_ROWS", "check_csv", "import_csv", "parse_date",
    # compliance
    "Matrix", "build_matrix", "compliance_matrix", "dsl_in_date", "person_courses",
    "matrix_csv", "queue_reminders",
    # sessions and policies
    "create_session", "follow_ups", "get_session", "list_sessions", "mark_attendance",
    "session_attendance", "current_policies", "get_policy", "policy_status", "publish_policy",
    "record_paper_signature", "sign_own", "to_sign",
    # needs analysis
    "DEFAULT_DAYS", "GAP_BELOW_PCT", "needs_analysis", "needs_for", "unmapped_categories",
    # the trust overview
    "METRIC_DEFINITIONS", "school_metrics",
]

METRIC_DEFINITIONS = (
    MetricDefinition(NAME, "compliance_pct", "Staff training compliance", "%", None, True),
    MetricDefinition(NAME, "dsl_in_date", "DSL training in date", "", None, True, yes_no=True),
    MetricDefinition(NAME, "expiring_30", "Staff with training due in 30 days", "", None, False),
)


def school_metrics(session: Session, school_id: int, start: dt.date, end: dt.date
                   ) -> list[Metric]:
    """A school's training figures for the trust overview (aggregates only), as at the end
    of the period or today, whichever is sooner: a matrix of the future is not known yet."""
    day = min(end, london_today())
    return _figures(build_matrix(session, school_id, day))


def school_metrics_many(session: Session, school_ids: list[int], start: dt.date,
                        end: dt.date) -> list[Metric]:
    """:func:`school_metrics` for many schools, from one read of the staff and the records
    of them all."""
    from plugins.training.compliance import build_matrices

    day = min(end, london_today())
    return [m for matrix in build_matrices(session, school_ids, day).values()
            for m in _figures(matrix)]


def _figures(matrix) -> list[Metric]:
    school_id = matrix.school_id
    return [
        Metric(NAME, school_id, "compliance_pct", matrix.compliance_pct),
        Metric(NAME, school_id, "dsl_in_date", 1 if dsl_in_date(matrix) else 0),
        Metric(NAME, school_id, "expiring_30", sum(r.due_soon for r in matrix.rows)),
    ]
