"""Core's own actions: the platform's default permissions, registered through
``mat_register_actions`` by the built-in ``core`` plugin exactly as a plugin registers its own
(Datasette's ``default_permissions``). :mod:`core.policy` decides them; nothing here decides.

When unsure, fewer people: admins manage people and plugins but never read case files;
headteachers see their school's figures, not case files, unless also given a DSL role.
"""
from __future__ import annotations

from core.contributions import Action

CORE = "core"
CASE_ROLES = frozenset({"dsl", "deputy_dsl"})
TRUST_CASE_ROLES = frozenset({"trust_lead"})
EVERY_SCHOOL_ROLE = frozenset({"staff", "dsl", "deputy_dsl", "headteacher", "school_admin"})

CORE_ACTIONS: tuple[Action, ...] = (
    Action(CORE, "school.view", EVERY_SCHOOL_ROLE, {"trust_lead", "trust_admin"},
           description="See the school at all"),
    Action(CORE, "pupil.search", {"staff", "dsl", "deputy_dsl", "headteacher"}, {"trust_lead"},
           description="Name the school's pupils (to record a concern about them)"),
    Action(CORE, "concern.record", {"staff", "dsl", "deputy_dsl", "headteacher"},
           description="Record a concern"),
    # the case file: concerns of others, entries, chronology, flags, family links
    Action(CORE, "casefile.read", CASE_ROLES, TRUST_CASE_ROLES, mfa=True,
           description="Read the case file"),
    Action(CORE, "casefile.write", CASE_ROLES, mfa=True,
           description="Triage, refer, close and amend in the case file"),
    Action(CORE, "dashboard.view", CASE_ROLES, TRUST_CASE_ROLES, mfa=True,
           description="The school's DSL dashboard"),
    Action(CORE, "pupil.manage", {"school_admin", "dsl", "deputy_dsl"}, {"trust_admin"},
           description="Add and change pupils on the roll"),
    Action(CORE, "school.admin", {"school_admin"}, {"trust_admin"},
           description="Manage the school's people, categories and plugins"),
    Action(CORE, "school.figures", {"dsl", "deputy_dsl", "headteacher"}, {"trust_lead"},
           description="The school's figures, without case files"),
    Action(CORE, "jobs.view", {"school_admin"}, {"trust_admin"},
           description="The school's background jobs"),
    Action(CORE, "trust.overview", trust_roles={"trust_lead"}, mfa=True, trust_level=True,
           description="Compare the trust's schools"),
    Action(CORE, "trust.admin", trust_roles={"trust_admin"}, trust_level=True,
           description="Manage the trust's schools and people"),
    Action(CORE, "audit.view", trust_roles={"trust_admin", "trust_lead"}, mfa=True,
           trust_level=True, description="Read the audit log"),
    Action(CORE, "roles.confirm", trust_roles={"trust_lead"}, mfa=True, trust_level=True,
           description="Give case-file roles, and confirm those a trust admin gave"),
    # retention and subject access (core.retention, core.sar)
    Action(CORE, "retention.review", CASE_ROLES, TRUST_CASE_ROLES, mfa=True,
           description="See whose records are due for review at the end of their retention"),
    Action(CORE, "retention.hold", CASE_ROLES, mfa=True,
           description="Place and lift a legal hold on a pupil's records"),
    Action(CORE, "retention.destroy", {"dsl"}, mfa=True,
           description="Destroy a file's content once its retention has ended"),
    Action(CORE, "retention.rules", trust_roles={"trust_lead"}, mfa=True, trust_level=True,
           description="Set the trust's retention periods"),
    Action(CORE, "sar.export", CASE_ROLES, TRUST_CASE_ROLES, mfa=True,
           description="Export a pupil's records for a subject access request, redacted"),
    Action(CORE, "family.link", trust_roles={"trust_lead"}, trust_level=True,
           description="Link the families of children across schools"),
    # the trust lead's workspace (core.family_view, core.board_report, core.case_study)
    Action(CORE, "trust.families", trust_roles={"trust_lead"}, mfa=True, trust_level=True,
           description="See families whose children attend several schools of the trust"),
    Action(CORE, "trust.board_report", trust_roles={"trust_lead"}, mfa=True, trust_level=True,
           description="Write and download the termly safeguarding report for the board"),
    Action(CORE, "trust.case_study", trust_roles={"trust_lead"}, mfa=True, trust_level=True,
           description="Draft, review and export de-identified case studies"),
)
