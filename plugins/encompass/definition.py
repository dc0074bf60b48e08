"""What the plugin is called and what it does, as the admin pages show it."""
from __future__ import annotations

from core.contributions import PluginInfo

NAME = "encompass"
INFO = PluginInfo(
    name=NAME,
    label="Operation Encompass",
    description="Police notifications of domestic abuse incidents a child was exposed to, "
                "matched to pupils, with the key adult's response before the next school day.",
)
