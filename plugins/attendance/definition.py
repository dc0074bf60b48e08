"""What the attendance plugin is called and what it does."""
from core.contributions import PluginInfo

NAME = "attendance"
INFO = PluginInfo(
    name=NAME,
    label="Attendance",
    description="Register marks, absence measures, and absence patterns as safeguarding "
                "signals.",
)
