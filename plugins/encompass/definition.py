"""What the plugin is called, what it does, as the admin pages show it, and who may use it.

Police information about a child: only the school's DSL and deputies, and the school's key
adults, each signed in with their second factor. Nobody else: not other staff, not the
headteacher unless also a key adult, not admins, not the trust lead (who sees aggregates
through the trust overview). Core's policy decides; a refusal is a 404.
"""
from __future__ import annotations

from core.contributions import Action, ObjectCheck, PluginInfo

NAME = "encompass"
INFO = PluginInfo(
    name=NAME,
    label="Operation Encompass",
    description="Police notifications of domestic abuse incidents a child was exposed to, "
                "matched to pupils, with the key adult's response before the next school day.",
)
DSL_TEAM = frozenset({"dsl", "deputy_dsl"})  # school roles only: trust roles never count


def _key_adult_of_school(session, actor, school_id, obj) -> bool:
    from plugins.encompass.key_adults import is_key_adult

    return is_key_adult(session, actor, school_id, obj)


ACTIONS = [
    Action(NAME, "encompass.read", DSL_TEAM, mfa=True,
           description="Read the school's notifications and record the key adult's response"),
    ObjectCheck(NAME, "encompass.read", _key_adult_of_school,
                description="A key adult of the school who still holds a role there"),
    Action(NAME, "encompass.manage", DSL_TEAM, mfa=True,
           description="Match notifications, the DSL's steps, and the key adults list"),
]
