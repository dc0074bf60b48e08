"""The converging-signals rules: data, not code branches.

A rule is a dict with a ``type`` (one of :data:`TYPES`, each evaluated by one function of
:mod:`core.signals.engine`) and its parameters. The defaults below carry their reasoning; a
trust's safeguarding lead tunes the numbers and switches rules on or off (stored as the trust
setting ``signals_rules``, audited); the kinds a rule reads stay as documented here.
"""
from __future__ import annotations

import copy

from sqlalchemy.orm import Session

from core.errors import ValidationError
from core.schools import set_trust_setting, trust_setting

SETTING_KEY = "signals_rules"

#: kinds that never count towards "different kinds" on their own: an unexplained day is
#: common (a parent who has not rung in yet), and a relative's indicators are the third
#: rule's business, said with the other school's DSL named rather than counted here
QUIET_KINDS = ("attendance.unexplained_day", "core.relative", "core.relative_elsewhere")

DEFAULT_RULES: dict[str, dict] = {
    "different_kinds": {
        "type": "distinct_kinds",
        "label": "Signs of different kinds close together",
        "why": "Serious case reviews keep finding signs held by different people or systems "
               "(attendance, police, a move, a concern) within weeks of each other. Two kinds "
               "inside four weeks is the smallest convergence worth a DSL's look; one kind "
               "repeated is already each source's own alert.",
        "enabled": True, "min_kinds": 2, "window_days": 28, "exclude": list(QUIET_KINDS),
        # every attendance indicator reads the same register: a falling trend and crossing
        # into persistent absence are one story, not two sources agreeing
        "one_kind_per_source": ["attendance"],
    },
    "police_then_absence": {
        "type": "sequence",
        "label": "Police notification, then unexplained absence",
        "why": "Operation Encompass exists so school knows before the next school day; a "
               "child who then does not arrive, with no reason given, may be unsafe at home "
               "or kept off to hide an injury. One school day is the Encompass timescale.",
        "enabled": True, "first": ["encompass.notification"],
        "then": ["attendance.unexplained_day"], "within_school_days": 1,
    },
    "relative_elsewhere_while_falling": {
        "type": "all_of",
        "label": "A relative at another school has signs while attendance falls",
        "why": "Families move across a trust's schools; each school sees half the picture. "
               "A sibling's indicator elsewhere while this child's attendance falls or stops "
               "altogether (a missing-education run) is the pattern no single DSL can see.",
        "enabled": True, "window_days": 28,
        # falling: a recent change (a trend, or attendance stopping), not persistent absence,
        # which a slow drift over months reaches too and which one pupil in five reaches in
        # England: beside any sibling's sign it fired more than a DSL could read (replay)
        "groups": [["attendance.falling", "attendance.missing_education"],
                   ["core.relative_elsewhere"]],
    },
}

TYPES = ("distinct_kinds", "sequence", "all_of")
#: what the trust lead may change, with the range allowed: (field, low, high)
TUNABLE = {
    "distinct_kinds": (("min_kinds", 2, 6), ("window_days", 7, 90)),
    "sequence": (("within_school_days", 1, 5),),
    "all_of": (("window_days", 7, 90),),
}


def rules_for(session: Session, trust_id: int) -> dict[str, dict]:
    """The trust's rules: the defaults with the trust's stored numbers and switches over
    them (a rule added to the defaults later appears with its default values)."""
    stored = trust_setting(session, trust_id, SETTING_KEY, {})
    out = copy.deepcopy(DEFAULT_RULES)
    for key, rule in out.items():
        for name, value in (stored.get(key) or {}).items():
            if name == "enabled" or any(name == f for f, _, _ in TUNABLE[rule["type"]]):
                rule[name] = value
    return out


def parse_changes(form: dict) -> dict[str, dict]:
    """The trust lead's form (``<rule>.<field>`` keys; ``<rule>.enabled`` present when on)
    as stored values, or :class:`ValidationError` naming each bad field."""
    errors: dict[str, list[str]] = {}
    out: dict[str, dict] = {}
    for key, rule in DEFAULT_RULES.items():
        values: dict = {"enabled": str(form.get(f"{key}.enabled", "")).lower()
                        in ("1", "on", "true", "yes")}
        for name, low, high in TUNABLE[rule["type"]]:
            field = f"{key}.{name}"
            raw = form.get(field, rule[name])
            try:
                number = int(str(raw).strip())
            except ValueError:
                errors[field] = ["must be a whole number"]
                continue
            if not low <= number <= high:
                errors[field] = [f"must be between {low} and {high}"]
                continue
            values[name] = number
        out[key] = values
    if errors:
        raise ValidationError(errors)
    return out


def save_rules(session: Session, trust_id: int, form: dict) -> dict[str, dict]:
    """Store the trust's numbers and switches (audited as a trust setting change) and return
    the rules as they now stand."""
    set_trust_setting(session, trust_id, SETTING_KEY, parse_changes(form))
    return rules_for(session, trust_id)


def window_of(rules: dict[str, dict]) -> int:
    """The longest look-back any rule needs, in calendar days (a school day sequence is
    counted generously as a week per school day)."""
    days = [r.get("window_days", 0) for r in rules.values()]
    days += [7 * r.get("within_school_days", 0) for r in rules.values()]
    return max(days + [1])
