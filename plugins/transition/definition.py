"""What the transition plugin is called and what it is for."""
from core.contributions import PluginInfo

INFO = PluginInfo(
    name="transition",
    label="Transition",
    description="Secure handover of the child-protection file when a pupil changes school: "
                "frozen packages, the receiving DSL's confirmation, encrypted bundles for "
                "schools outside the trust, and KCSIE deadlines in school days.",
)
