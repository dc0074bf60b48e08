"""What the training plugin is called and what it does, as admins see it in the plugin list."""
from __future__ import annotations

from core.contributions import PluginInfo

NAME = "training"

INFO = PluginInfo(
    name=NAME,
    label="Safeguarding training",
    description="Staff safeguarding training records, renewals, read-and-sign policies and "
                "each school's compliance, with reminders before training expires.",
)
