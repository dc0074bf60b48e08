"""The core of the MAT safeguarding platform: tenancy, people, pupils, concerns, audit and the
plugin host. The core imports no plugin: plugins speak to it through :mod:`core.hookspecs`."""
from core.hookspecs import hookimpl, hookspec

__all__ = ["hookimpl", "hookspec"]
