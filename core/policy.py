"""Who may do what: the one place access is decided.

Views, API endpoints, services and plugins ask :func:`can` (or :func:`require`, which raises
:class:`~core.errors.NotFound` so that a refusal never confirms a record exists). Roles are
granted per school or per trust (see :mod:`core.models.people`).

The rules themselves are declared, not written here: every plugin (core's own defaults in
:mod:`core.default_actions` included) registers its :class:`~core.contributions.Action` and
:class:`~core.contributions.ObjectCheck` objects through the ``mat_register_actions`` hook, and
the plugin host builds one :class:`ActionRegistry` from them. Core names no plugin's action.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contributions import Action, ObjectCheck
from core.db import Scope, system_scope
from core.default_actions import CASE_ROLES, TRUST_CASE_ROLES
from core.errors import NotFound
from core.models import invitations as _role_requests  # noqa: F401  (its tables are policy's)

__all__ = ["CASE_ROLES", "TRUST_CASE_ROLES", "Actor", "ActionRegistry", "actor_for",
           "build_registry", "can", "registry_for", "require", "schools_where"]


@dataclass(frozen=True)
class ActionRegistry:
    """Every action the installed plugins declared, and the object checks that extend them."""

    actions: Mapping[str, Action]
    checks: Mapping[str, tuple[ObjectCheck, ...]]

    def action(self, name: str) -> Action:
        try:
            return self.actions[name]
        except KeyError:
            raise KeyError(f"unknown action {name!r}: no installed plugin registers it "
                           f"through mat_register_actions") from None


def build_registry(contributions: Iterable[Action | ObjectCheck]) -> ActionRegistry:
    """Index what ``mat_register_actions`` returned. Two plugins declaring one action, a check
    for an action nobody declared, or a check on another plugin's action (which would let a
    plugin widen access to someone else's records) fail when the host is built."""
    items = list(contributions)
    actions: dict[str, Action] = {}
    for item in items:
        if isinstance(item, Action):
            if item.name in actions:
                raise RuntimeError(f"action {item.name!r} is registered by both "
                                   f"{actions[item.name].plugin!r} and {item.plugin!r}")
            actions[item.name] = item
        elif not isinstance(item, ObjectCheck):
            raise TypeError(f"mat_register_actions returned {item!r}: "
                            f"expected Action or ObjectCheck")
    checks: dict[str, list[ObjectCheck]] = {}
    for item in items:
        if isinstance(item, ObjectCheck):
            owner = actions.get(item.action)
            if owner is None:
                raise RuntimeError(f"object check of {item.plugin!r} names unknown action "
                                   f"{item.action!r}")
            if owner.plugin != item.plugin or owner.trust_level:
                raise RuntimeError(f"plugin {item.plugin!r} may not add an object check to "
                                   f"{owner.plugin!r}'s action {item.action!r}")
            checks.setdefault(item.action, []).append(item)
    return ActionRegistry(actions, {k: tuple(v) for k, v in checks.items()})


# one registry per plugin host, built the first time that host is asked about an action
_registries: "weakref.WeakKeyDictionary[Any, ActionRegistry]" = weakref.WeakKeyDictionary()


def registry_for(host: Any) -> ActionRegistry:
    """The actions and object checks registered with ``host`` (a
    :class:`core.plugins.PluginHost`). Registration is global, not per school: a plugin
    switched off for a school is refused there by the web layer's 404, not by the policy."""
    registry = _registries.get(host)
    if registry is None:
        registry = _registries[host] = build_registry(host.call_global("mat_register_actions"))
    return registry


def _registry() -> ActionRegistry:
    from core.plugins import current_host  # late: importing the policy builds no host

    return registry_for(current_host())


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
        """True when some role of theirs grants an action that needs a second factor (core's
        or any plugin's). Object checks (an Encompass key adult) need the data: see
        :func:`mfa_reasons`, which sign-in uses."""
        registry = _registry()
        return any(self._roles_grant(rule) for rule in registry.actions.values() if rule.mfa)

    def _roles_grant(self, rule: Action) -> bool:
        if any(roles & rule.trust_roles for roles in self.trust_roles.values()):
            return True
        return not rule.trust_level and any(roles & rule.school_roles
                                            for roles in self.school_roles.values())

    def scope(self) -> Scope:
        schools = frozenset(self.school_trust)
        return Scope(
            user_id=self.user_id,
            read_schools=schools,
            write_schools=schools,
            trusts=frozenset(self.trust_roles) | frozenset(self.school_trust.values()),
        )


def can(actor: Actor, action: str, school_id: int | None = None,
        trust_id: int | None = None, *, session: Session | None = None,
        obj: Any = None) -> bool:
    """May ``actor`` do ``action`` in ``school_id`` (or, for trust actions, ``trust_id``)?

    Roles decide first; when they refuse a school action that has object checks and a
    ``session`` is given, the checks may still allow it (with ``obj``, the record asked
    about, if any). An action no plugin registered raises :class:`KeyError` naming it.
    """
    registry = _registry()
    rule = registry.action(action)
    if rule.mfa and not actor.mfa:
        return False
    if rule.trust_level:
        if trust_id is None and school_id is not None:
            trust_id = actor.school_trust.get(school_id)
        return trust_id is not None and bool(actor.trust_roles.get(trust_id, frozenset())
                                             & rule.trust_roles)
    if school_id is None:
        return False
    if actor.roles_in(school_id) & rule.school_roles:
        return True
    trust = actor.school_trust.get(school_id)
    if trust is not None and actor.trust_roles.get(trust, frozenset()) & rule.trust_roles:
        return True
    if session is None:
        return False
    return any(c.check(session, actor, school_id, obj) for c in registry.checks.get(action, ()))


def require(actor: Actor, action: str, school_id: int | None = None,
            trust_id: int | None = None, *, session: Session | None = None,
            obj: Any = None) -> None:
    """Raise :class:`NotFound` unless :func:`can` allows it: no access looks like no record."""
    if not can(actor, action, school_id, trust_id, session=session, obj=obj):
        raise NotFound(action)


def schools_where(actor: Actor, action: str, *, session: Session | None = None) -> list[int]:
    """Every school in which ``actor`` may do ``action``."""
    return sorted(s for s in actor.school_trust if can(actor, action, s, session=session))


CASE_FILE_REASON = "Your role reads child protection records."


def mfa_reasons(session: Session, actor: Actor) -> list[str]:
    """Why this person must give a second factor, in words for the sign-in pages: one line
    per reason, empty when nothing they hold needs one. A role granting a second-factor action
    counts, and so does an object check granting one (a member of staff who is a key adult for
    Operation Encompass), whatever plugin declared it."""
    from core.plugins import current_host

    registry = _registry()
    host = current_host()
    probe = Actor(actor.user_id, actor.name, actor.school_roles, actor.trust_roles,
                  actor.school_trust, mfa=True)
    reasons: list[str] = []

    def add(text: str) -> None:
        if text not in reasons:
            reasons.append(text)

    for rule in registry.actions.values():
        if not rule.mfa:
            continue
        if actor._roles_grant(rule):
            if rule.plugin == "core":
                held = set().union(*actor.school_roles.values(), *actor.trust_roles.values())
                add(CASE_FILE_REASON if held & (CASE_ROLES | TRUST_CASE_ROLES) else
                    f"Your role lets you {_lower(rule.description or rule.name)}.")
            else:
                add(f"Your role uses {_label(host, rule.plugin)}, which holds information "
                    f"about children.")
            continue
        if rule.trust_level:
            continue
        for check in registry.checks.get(rule.name, ()):
            if any(check.check(session, probe, sid, None) for sid in sorted(actor.school_trust)):
                what = _lower(check.description)
                add(f"Your place in {_label(host, rule.plugin)} ({what or rule.name}) "
                    f"reads information about children.")
    if CASE_FILE_REASON in reasons:  # the case file says it all: the rest goes without saying
        reasons = [r for r in reasons if r == CASE_FILE_REASON or r.startswith("Your place")]
    return reasons


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def _label(host: Any, plugin: str) -> str:
    try:
        return host.info(plugin).label
    except NotFound:  # a plugin without its info still names itself
        return plugin


def actor_for(session: Session, user_id: int, mfa: bool = False) -> Actor:
    """Resolve a user's memberships into an :class:`Actor` (inactive users get no roles)."""
    from core.models import Membership, School, User

    with system_scope(session, "resolve actor"):
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("user")
        school_roles: dict[int, set[str]] = {}
        trust_roles: dict[int, set[str]] = {}
        school_trust: dict[int, int] = {}
        if user.active:
            # each role with its school's trust, as the school row says, in one query
            for school_id, trust_id, role, schools_trust in session.execute(
                    select(Membership.school_id, Membership.trust_id, Membership.role,
                           School.trust_id)
                    .outerjoin(School, School.id == Membership.school_id)
                    .where(Membership.user_id == user_id)):
                if school_id is None:
                    trust_roles.setdefault(trust_id, set()).add(role)
                else:
                    school_roles.setdefault(school_id, set()).add(role)
                    if schools_trust is not None:
                        school_trust[school_id] = schools_trust
        if trust_roles:
            for sid, tid in session.execute(
                select(School.id, School.trust_id).where(School.trust_id.in_(trust_roles))
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
