"""Building the frozen package: every enabled plugin's ``mat_transfer_sections`` for the pupil
at the sending school, less what the DSL leaves out, as canonical JSON with a SHA-256.

Sections are named ``<plugin>:<slug of title>``; inside a section, every top-level list of
dicts is a list of items, named ``<list key>:<item id>`` (or ``<list key>:#<index>`` for items
without an ``id``). The DSL leaves out a whole section or single items, each with a reason.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.errors import ValidationError
from core.models import Pupil, School
from core.plugins import current_host

FORMAT = "mat-transition-package/1"


def canonical(obj) -> bytes:
    """One byte sequence per value: sorted keys, no spaces, UTF-8. What is hashed and sent."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


@dataclass(frozen=True)
class Item:
    id: str
    label: str


@dataclass(frozen=True)
class Section:
    id: str
    plugin: str
    title: str
    data: dict
    text: str
    items: tuple[Item, ...]


def _item_label(el: dict) -> str:
    for key in ("fact", "title", "label", "summary", "body", "flag"):
        if el.get(key):
            text = str(el[key])
            return text if len(text) <= 90 else text[:87] + "..."
    from plugins.transition.document import label, value

    return ", ".join(f"{label(k)}: {value(k, v)}"
                     for k, v in [kv for kv in el.items() if kv[0] != "id"][:3])


def _items(data: dict) -> tuple[Item, ...]:
    out = []
    for key, value in data.items():
        if isinstance(value, list):
            for n, el in enumerate(value):
                if isinstance(el, dict):
                    ident = el.get("id")
                    out.append(Item(f"{key}:{ident if ident is not None else '#' + str(n)}",
                                    _item_label(el)))
    return tuple(out)


def gather_sections(session: Session, school_id: int, pupil_id: int) -> list[Section]:
    """What every plugin switched on at the sending school contributes for this pupil."""
    raw = current_host().call_for_school(session, school_id, "mat_transfer_sections",
                                         pupil_id=pupil_id)
    sections, seen = [], set()
    for s in raw:
        data = json.loads(canonical(s.data))  # JSON-able now, or fail here, not at sending
        base = f"{s.plugin}:{_slug(s.title)}"
        sid, n = base, 2
        while sid in seen:  # two sections with one title: keep both, distinctly named
            sid, n = f"{base}-{n}", n + 1
        seen.add(sid)
        sections.append(Section(sid, s.plugin, s.title, data, s.text, _items(data)))
    return sections


def check_omissions(sections: list[Section], omissions: list[dict]) -> list[dict]:
    """Validate ``[{"section", "item" (or None for the whole section), "reason"}]``."""
    by_id = {s.id: s for s in sections}
    errors: list[str] = []
    clean = []
    for n, o in enumerate(omissions or [], start=1):
        sec = by_id.get(o.get("section"))
        item = o.get("item") or None
        reason = str(o.get("reason") or "").strip()
        if sec is None:
            errors.append(f"item {n}: no section {o.get('section')!r} in this file")
            continue
        if item is not None and item not in {i.id for i in sec.items}:
            errors.append(f"item {n}: no item {item!r} in {sec.title}")
            continue
        if not reason:
            errors.append(f"item {n}: say why {sec.title if item is None else item} "
                          "must not travel")
            continue
        # what was left out, in words, for the sender's page (ids are for the machine)
        what = sec.title if item is None else \
            f"{sec.title}: {next(i.label for i in sec.items if i.id == item)}"
        clean.append({"section": sec.id, "item": item, "reason": reason[:1000],
                      "label": what})
    if errors:
        raise ValidationError({"omissions": errors})
    return clean


def _apply(section: Section, omitted: set[str]) -> dict:
    data = {}
    for key, value in section.data.items():
        if isinstance(value, list):
            kept = []
            for n, el in enumerate(value):
                if isinstance(el, dict):
                    ident = el.get("id")
                    if f"{key}:{ident if ident is not None else '#' + str(n)}" in omitted:
                        continue
                kept.append(el)
            data[key] = kept
        else:
            data[key] = value
    return data


def build(session: Session, pupil: Pupil, sender: School, *, destination_urn: str,
          destination_name: str, leaving_date: dt.date, prepared_by: str,
          prepared_at: dt.datetime, covering_note: str,
          omissions: list[dict]) -> tuple[bytes, list[dict]]:
    """The package bytes (canonical JSON) and the validated omissions."""
    sections = gather_sections(session, sender.id, pupil.id)
    omissions = check_omissions(sections, omissions)
    whole = {o["section"] for o in omissions if o["item"] is None}
    items = {(o["section"], o["item"]) for o in omissions if o["item"] is not None}
    out = []
    for s in sections:
        if s.id in whole:
            continue
        data = _apply(s, {i for sec, i in items if sec == s.id})
        out.append({"id": s.id, "plugin": s.plugin, "title": s.title, "data": data,
                    "text": s.text})
    body = {
        "format": FORMAT,
        "pupil": {"first_name": pupil.first_name, "last_name": pupil.last_name,
                  "preferred_name": pupil.preferred_name,
                  "date_of_birth": pupil.date_of_birth.isoformat(), "gender": pupil.gender,
                  "year_group": pupil.year_group, "upn": pupil.upn, "address": pupil.address,
                  "on_roll_from": pupil.on_roll_from.isoformat(), "sender_pupil_id": pupil.id},
        "from": {"urn": sender.urn, "name": sender.name},
        "to": {"urn": destination_urn, "name": destination_name},
        "leaving_date": leaving_date.isoformat(),
        "prepared_at": prepared_at.isoformat(),
        "prepared_by": prepared_by,
        "covering_note": covering_note,
        "sections": out,
        # the receiver learns that something was withheld, not what or why
        "withheld": len(omissions),
    }
    return canonical(body), omissions


def load(content: str | bytes) -> dict:
    """Parse a package; refuse anything that is not one."""
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError({"package": ["is not a transfer package (not JSON)"]}) from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise ValidationError({"package": [f"is not a {FORMAT} package"]})
    return body
