"""The converging-signals actions, registered with core's policy through the built-in
``core`` plugin. Reading a firing is reading the case file (``casefile.read``) and deciding is
writing it (``casefile.write``); these two are the trust lead's own."""
from __future__ import annotations

from core.contributions import Action

SIGNAL_ACTIONS = (
    Action("core", "signals.rules", trust_roles={"trust_lead"}, mfa=True, trust_level=True,
           description="Tune the trust's converging-signals rules"),
    Action("core", "signals.family", trust_roles={"trust_lead"}, mfa=True, trust_level=True,
           description="See a converging pattern across a family's schools (audited)"),
)
