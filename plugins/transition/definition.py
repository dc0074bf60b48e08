"""What the transition plugin is called and what it is for."""
from core.contributions import Action, PluginInfo

NAME = "transition"

INFO = PluginInfo(
    name=NAME,
    label="Transition",
    description="Secure handover of the child-protection file when a pupil changes school: "
                "frozen packages, the receiving DSL's confirmation, encrypted bundles for "
                "schools outside the trust, and KCSIE deadlines in school days (or calendar "
                "days, as the trust chooses).",
)

# a child-protection file in transit: only the sending and receiving DSL teams, with the
# second factor (trust roles do not count)
ACTIONS = [
    Action(NAME, "transfer.handle", {"dsl", "deputy_dsl"}, mfa=True,
           description="Send, receive and confirm a child-protection file"),
]
