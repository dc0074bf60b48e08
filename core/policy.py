"""Who may do what: the one place access is decided.

Views, API endpoints, services and plugins ask :func:`can` (or :func:`require`, which raises
:class:`~core.errors.NotFound` so that a refusal never confirms a record exists). Roles are
granted per school or per trust (see :mod:`core.models.people`). When unsure, fewer people:
admins manage people and plugins but never read case files; headteachers see their school's
figures, not case files, unless they are also given a DSL role.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import Scope, system_scope
from core.errors import NotFound

CASE_ROLES = frozenset({"dsl", "deputy_dsl"})
TRUST_CASE_ROLES = frozenset({"trust_lead"})

# action -> (school roles that grant it, trust roles that grant it)
RULES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # seeing the school at all, and naming its pupils (to record a concern about them)
    "school.view": (frozenset({"staff", "dsl", "deputy_dsl", "headteacher", "school_admin"}),
                    frozenset({"trust_lead", "trust_admin"})),
    "pupil.search": (frozenset({"staff", "dsl", "deputy_dsl", "headteacher"}),
                     frozenset({"trust_lead"})),
    "concern.record": (frozenset({"staff", "dsl", "deputy_dsl", "headteacher"}), frozenset()),
    # the case file: concerns of others, entries, chronology, flags, family links
    "casefile.read": (CASE_ROLES, TRUST_CASE_ROLES),
    "casefile.write": (CASE_ROLES, frozenset()),
    "dashboard.view": (CASE_ROLES, TRUST_CASE_ROLES),
    "pupil.manage": (frozenset({"school_admin", "dsl", "deputy_dsl"}), frozenset({"trust_admin"})),
    "school.admin": (frozenset({"school_admin"}), frozenset({"trust_admin"})),
    "school.figures": (frozenset({"dsl", "deputy_dsl", "headteacher"}),
                       frozenset({"trust_lead"})),
    "jobs.view": (frozenset({"school_admin"}), frozenset({"trust_admin"})),
    # a child-protection file in transit: only the sending and receiving DSL teams
    "transfer.handle": (CASE_ROLES, frozenset()),
    # staff training records (not case files): who keeps them, and who may look at them
    "training.manage": (frozenset({"school_admin", "headteacher", "dsl", "deputy_dsl"}),
                        frozenset()),
    "training.view": (frozenset({"school_admin", "headteacher", "dsl", "deputy_dsl"}),
                      frozenset({"trust_lead", "trust_admin"})),
}
TRUST_RULES: dict[str, frozenset[str]] = {
    "trust.overview": frozenset({"trust_lead"}),
    "trust.admin": frozenset({"trust_admin"}),
    "audit.view": frozenset({"trust_admin", "trust_lead"}),
    "family.link": frozenset({"trust_lead"}),
    "training.rules": frozenset({"trust_lead", "trust_admin"}),  # the trust's course rules
}
# actions that show case-file content need the second factor in this sign-in
NEEDS_MFA = {"casefile.read", "casefile.write", "dashboard.view", "trust.overview", "audit.view",
             "transfer.handle"}


@dataclass(frozen=True)
class Actor:
    """A signed-in person with their roles, resolved once per request or job."""

    user_id: int | None
    name: str = ""
    school_roles: dict[int, frozenset[str]] = field(default_factory=dict)
    trust_roles: dict[int, frozenset[str]] = field(default_factory=dict)
    school_trust: dict[int, int] = field(default_factory=dict)  # every school they can reach
    mfa: bool = False

    def roles_in(self, school_id: int) -> frozenset[str]:
        return self.school_roles.get(school_id, frozenset())

    @property
    def needs_mfa(self) -> bool:
        """True when some role of theirs reads case files, so sign-in asks a second factor."""
        roles = set().union(*self.school_roles.values(), *self.trust_roles.values()) \
            if (self.school_roles or self.trust_roles) else set()
        return bool(roles & (CASE_ROLES | TRUST_CASE_ROLES))

    def scope(self) -> Scope:
        schools = frozenset(self.school_trust)
        return Scope(
            user_id=self.user_id,
            read_schools=schools,
            write_schools=schools,
            trusts=frozenset(self.trust_roles) | frozenset(self.school_trust.values()),
        )


def can(actor: Actor, action: str, school_id: int | None = None,
        trust_id: int | None = None) -> bool:
    """May ``actor`` do ``action`` in ``school_id`` (or, for trust actions, ``trust_id``)?"""
    if action in NEEDS_MFA and not actor.mfa:
        return False
    if action in TRUST_RULES:
        if trust_id is None and school_id is not None:
            trust_id = actor.school_trust.get(school_id)
        return trust_id is not None and bool(actor.trust_roles.get(trust_id, frozenset())
                                             & TRUST_RULES[action])
    if action not in RULES:
        raise KeyError(f"unknown action {action!r}: add it to core.policy.RULES")
    if school_id is None:
        return False
    school_roles, trust_roles = RULES[action]
    if actor.roles_in(school_id) & school_roles:
        return True
    trust = actor.school_trust.get(school_id)
    return trust is not None and bool(actor.trust_roles.get(trust, frozenset()) & trust_roles)


def require(actor: Actor, action: str, school_id: int | None = None,
            trust_id: int | None = None) -> None:
    """Raise :class:`NotFound` unless :func:`can` allows it: no access looks like no record."""
    if not can(actor, action, school_id, trust_id):
        raise NotFound(action)


def schools_where(actor: Actor, action: str) -> list[int]:
    """Every school in which ``actor`` may do ``action``."""
    return sorted(s for s in actor.school_trust if can(actor, action, s))


def actor_for(session: Session, user_id: int, mfa: bool = False) -> Actor:
    """Resolve a user's memberships into an :class:`Actor` (inactive users get no roles)."""
    from core.models import Membership, School, User

    with system_scope(session, "resolve actor"):
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("user")
        school_roles: dict[int, set[str]] = {}
        trust_roles: dict[int, set[str]] = {}
        if user.active:
            for m in session.scalars(select(Membership).where(Membership.user_id == user_id)):
                if m.school_id is None:
                    trust_roles.setdefault(m.trust_id, set()).add(m.role)
                else:
                    school_roles.setdefault(m.school_id, set()).add(m.role)
        school_trust: dict[int, int] = {}
        if trust_roles:
            for sid, tid in session.execute(
                select(School.id, School.trust_id).where(School.trust_id.in_(trust_roles))
            ):
                school_trust[sid] = tid
        if school_roles:
            for sid, tid in session.execute(
                select(School.id, School.trust_id).where(School.id.in_(school_roles))
            ):
                school_trust[sid] = tid
    return Actor(
        user_id=user.id,
        name=user.name,
        school_roles={k: frozenset(v) for k, v in school_roles.items()},
        trust_roles={k: frozenset(v) for k, v in trust_roles.items()},
        school_trust=school_trust,
        mfa=mfa,
    )
