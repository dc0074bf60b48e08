"""MIS sources a plugin adds (an aggregator's API, a MIS vendor's own API): each gives the
same rows a file gives (:class:`core.mis.rows.RawRow`), so an import from it is checked,
previewed, reviewed and committed exactly as a file is."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from core.errors import ValidationError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.mis.rows import RawRow


@dataclass(frozen=True)
class MisSource:
    """A plugin's MIS source for one school: ``name`` (what the CLI's ``--source`` and the
    API's ``source`` say), ``label`` for people, ``fetch(session, school_id)`` returning the
    school's pupils as raw rows (text values keyed by :data:`core.mis.rows.FIELDS`, carers
    keyed by :data:`core.mis.rows.CARER_FIELDS`, dates ``YYYY-MM-DD``), and whether what it
    returns is the ``full`` roll (then pupils it leaves out are listed as "left?")."""

    plugin: str
    name: str
    label: str
    fetch: Callable[["Session", int], Iterable["RawRow"]]
    full: bool = True


def sources(session: "Session", school_id: int) -> list[MisSource]:
    """The sources of the plugins on for this school."""
    from core.plugins import current_host

    return current_host().call_for_school(session, school_id, "mat_mis_sources")


def source_named(session: "Session", school_id: int, name: str) -> MisSource:
    for source in sources(session, school_id):
        if source.name == name:
            return source
    known = ", ".join(s.name for s in sources(session, school_id)) or "none for this school"
    raise ValidationError({"source": [f"no MIS source called {name!r} (sources: {known})"]})
