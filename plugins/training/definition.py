"""What the training plugin is called and what it does, as admins see it in the plugin list."""
from __future__ import annotations

from core.contributions import Action, PluginInfo

NAME = "training"

INFO = PluginInfo(
    name=NAME,
    label="Safeguarding training",
    description="Staff safeguarding training records, renewals, read-and-sign policies and "
                "each school's compliance, with reminders before training expires.",
)

# Training records are not case files: no second factor. Who keeps them, and who may look.
KEEPERS = frozenset({"school_admin", "headteacher", "dsl", "deputy_dsl"})
ACTIONS = [
    Action(NAME, "training.manage", KEEPERS,
           description="Keep the school's training records, sessions and policies"),
    Action(NAME, "training.view", KEEPERS, {"trust_lead", "trust_admin"},
           description="See the school's training records and compliance"),
    Action(NAME, "training.rules", trust_roles={"trust_lead", "trust_admin"}, trust_level=True,
           description="Set the trust's course rules"),
]
