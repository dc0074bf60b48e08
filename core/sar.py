"""Subject access: a pupil's records assembled for a subject access request (UK GDPR
Article 15), with a redaction step for third-party information.

The DSL team (or the trust lead) first sees :func:`items`: every concern and DSL entry, and
every third party the records name: other pupils on the same concerns, the staff who recorded
and worked them, and the professionals in the agency contacts. They choose what to withhold;
:func:`export` applies it (a withheld concern or entry keeps its date and kind and says it was
withheld; a withheld person's name becomes "[third party]" wherever the records name them,
their own fields and the written text alike) and :func:`export_pdf` prints it. Names written
some other way (a nickname, initials) are not found in free text: withhold that entry instead.
The item list and every export are audited, the export with what was withheld and the format.
Plugins add their records about the pupil (``mat_subject_access``: police notifications,
registers, transfer files), each item withheld by its key like a concern, the people they name
joining the third parties.
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from core import audit
from core.bodymap import describe as describe_marks
from core.calendar import LONDON
from core.chronology import ENTRY_TITLES, _pupil_concerns, _user_names, chronology_pdf
from core.contributions import ChronologyItem
from core.errors import ValidationError
from core.models import AgencyContact, ConcernPupil, Pupil, PupilFlag
from core.models.contacts import CONTACT_ROLES
from core.models.pupils import FLAGS
from core.policy import Actor
from core.pupils import get_pupil

WITHHELD = "[withheld: third-party information]"
THIRD_PARTY = "[third party]"
KIND_LABELS = {"pupil": "Another pupil", "staff": "Member of staff",
               "contact": "Agency professional", "other": "Someone else named"}


def _third_parties(session: Session, pupil: Pupil, concerns, entries) -> list[dict]:
    """Everyone other than the pupil whom the records name, each with a key to redact by."""
    others = session.execute(select(Pupil.id, Pupil.first_name, Pupil.last_name,
                                    Pupil.preferred_name).join(
        ConcernPupil, and_(ConcernPupil.pupil_id == Pupil.id,
                           ConcernPupil.school_id == Pupil.school_id))
        .where(ConcernPupil.concern_id.in_([c.id for c in concerns]), Pupil.id != pupil.id)
        .distinct()).all()
    people = [{"key": f"pupil:{i}", "kind": "pupil", "name": f"{first} {last}",
               "also": [f"{pref} {last}"] if pref else []} for i, first, last, pref in others]
    staff = _user_names(session, [c.recorded_by_id for c in concerns] +
                        [e.author_id for e in entries] + [e.owner_id for e in entries])
    people += [{"key": f"staff:{i}", "kind": "staff", "name": name, "also": []}
               for i, name in sorted(staff.items(), key=lambda kv: kv[1])]
    for c in session.scalars(select(AgencyContact).where(AgencyContact.pupil_id == pupil.id)
                             .order_by(AgencyContact.start_date, AgencyContact.id)):
        people.append({"key": f"contact:{c.id}", "kind": "contact", "name": c.name, "also": [],
                       "role": CONTACT_ROLES.get(c.role, c.role)})
    for p in people:
        p["label"] = KIND_LABELS[p["kind"]]
    return people


def _plugin_sections(session: Session, pupil: Pupil, people: list[dict]) -> list[dict]:
    """The enabled plugins' records about the pupil (``mat_subject_access``); the people they
    name join ``people`` (once each, by key) so the same redaction step reaches them."""
    from core import plugin_records

    known = {p["key"] for p in people}
    out = []
    for section in plugin_records.sections(session, pupil.school_id, pupil.id):
        items = []
        for item in section.items:
            items.append({"key": item.key, "at": item.at.isoformat(), "title": item.title,
                          "text": item.text or ""})
            for person in item.people:
                if person["key"] in known or person["key"] == f"pupil:{pupil.id}" \
                        or not (person.get("name") or "").strip():
                    continue
                known.add(person["key"])
                people.append({"key": person["key"], "kind": person["kind"],
                               "name": person["name"], "also": [],
                               "label": KIND_LABELS.get(person["kind"], KIND_LABELS["other"]),
                               **({"role": person["role"]} if person.get("role") else {})})
        out.append({"plugin": section.plugin, "title": section.title, "items": items})
    return out


def _assemble(session: Session, pupil: Pupil) -> dict:
    concerns, entries = _pupil_concerns(session, pupil.id)
    names = _user_names(session, [c.recorded_by_id for c in concerns] +
                        [e.author_id for e in entries])
    by_concern: dict[int, list] = {}
    for e in entries:
        by_concern.setdefault(e.concern_id, []).append(
            {"key": f"entry:{e.id}", "id": e.id, "kind": e.kind,
             "title": ENTRY_TITLES.get(e.kind, e.kind), "at": e.created_at.isoformat(),
             "author": names.get(e.author_id, ""), "author_key": f"staff:{e.author_id}",
             "body": e.body, "body_map": describe_marks(e.body_map)})
    doc = {
        "pupil": {"name": f"{pupil.first_name} {pupil.last_name}",
                  "date_of_birth": pupil.date_of_birth.isoformat(), "upn": pupil.upn,
                  "year_group": pupil.year_group,
                  "on_roll_from": pupil.on_roll_from.isoformat(),
                  "on_roll_to": pupil.on_roll_to.isoformat() if pupil.on_roll_to else None},
        "flags": [{"flag": FLAGS.get(f.flag, f.flag), "start": f.start_date.isoformat(),
                   "end": f.end_date.isoformat() if f.end_date else None, "note": f.note}
                  for f in session.scalars(select(PupilFlag).where(
                      PupilFlag.pupil_id == pupil.id))],
        "concerns": [{"key": f"concern:{c.id}", "id": c.id,
                      "occurred_at": c.occurred_at.isoformat(), "location": c.location,
                      "fact": c.fact, "child_words": c.child_words, "opinion": c.opinion,
                      "recorded_by": names.get(c.recorded_by_id, ""),
                      "recorded_by_key": f"staff:{c.recorded_by_id}",
                      "body_map": describe_marks(c.body_map),
                      "entries": by_concern.get(c.id, [])} for c in concerns],
        "third_parties": _third_parties(session, pupil, concerns, entries),
    }
    doc["plugins"] = _plugin_sections(session, pupil, doc["third_parties"])
    return doc


def items(session: Session, actor: Actor, school_id: int, pupil_id: int) -> dict:
    """Everything a subject access export of the pupil would hold, with a ``key`` on each
    concern, entry and third party by which the DSL team withholds it. Audited."""
    pupil = get_pupil(session, actor, school_id, pupil_id, "sar.export")
    doc = _assemble(session, pupil)
    audit.record(session, "sar.items_read", actor=actor, object_type="pupil",
                 object_id=pupil.id, school_id=school_id)
    return doc


def _keys(doc: dict) -> set[str]:
    keys = {p["key"] for p in doc["third_parties"]}
    for c in doc["concerns"]:
        keys.add(c["key"])
        keys.update(e["key"] for e in c["entries"])
    for section in doc["plugins"]:
        keys.update(i["key"] for i in section["items"])
    return keys


def _scrub(text: str, patterns: list[re.Pattern]) -> str:
    for pattern in patterns:
        text = pattern.sub(THIRD_PARTY, text)
    return text


def _apply(doc: dict, redact: set[str]) -> dict:
    """The document with the chosen items withheld and the chosen people's names replaced."""
    chosen = [p for p in doc["third_parties"] if p["key"] in redact]
    patterns = [re.compile(r"\b" + re.escape(n) + r"\b", re.IGNORECASE)
                for p in chosen for n in [p["name"], *p["also"]] if n.strip()]
    concerns = []
    for c in doc["concerns"]:
        if c["key"] in redact:
            concerns.append({"id": c["id"], "occurred_at": c["occurred_at"], "withheld": True,
                             "note": WITHHELD})
            continue
        entries = []
        for e in c["entries"]:
            if e["key"] in redact:
                entries.append({"id": e["id"], "kind": e["kind"], "title": e["title"],
                                "at": e["at"], "withheld": True, "note": WITHHELD})
                continue
            author = THIRD_PARTY if e["author_key"] in redact else e["author"]
            entries.append({"id": e["id"], "kind": e["kind"], "title": e["title"], "at": e["at"],
                            "author": author, "body": _scrub(e["body"], patterns),
                            "body_map": e["body_map"]})
        recorder = THIRD_PARTY if c["recorded_by_key"] in redact else c["recorded_by"]
        concerns.append({"id": c["id"], "occurred_at": c["occurred_at"],
                         "location": _scrub(c["location"], patterns),
                         "fact": _scrub(c["fact"], patterns),
                         "child_words": _scrub(c["child_words"], patterns),
                         "opinion": _scrub(c["opinion"], patterns), "recorded_by": recorder,
                         "body_map": c["body_map"], "entries": entries})
    plugins = [{"plugin": sec["plugin"], "title": sec["title"], "items": [
        {"key": i["key"], "at": i["at"], "withheld": True, "note": WITHHELD}
        if i["key"] in redact else
        {"key": i["key"], "at": i["at"], "title": _scrub(i["title"], patterns),
         "text": _scrub(i["text"], patterns)} for i in sec["items"]]}
        for sec in doc["plugins"]]
    return {"pupil": doc["pupil"],
            "flags": [{**f, "note": _scrub(f["note"] or "", patterns)} for f in doc["flags"]],
            "concerns": concerns,
            "plugins": plugins,
            "agency_contacts": [{"role": p["role"], "name": THIRD_PARTY
                                 if p["key"] in redact else p["name"]}
                                for p in doc["third_parties"] if p["kind"] == "contact"],
            "withheld": sorted(redact)}


def export(session: Session, actor: Actor, school_id: int, pupil_id: int,
           redact: list[str] | set[str], fmt: str = "json") -> dict:
    """The pupil's records with the items of ``redact`` (keys from :func:`items`) withheld.
    A key that names nothing in this pupil's records is refused (field ``redact``), so a
    typing slip never exports what the DSL meant to withhold. Audited with the format and
    every key withheld."""
    if fmt not in ("json", "pdf"):
        raise ValidationError({"format": ["must be json or pdf"]})
    pupil = get_pupil(session, actor, school_id, pupil_id, "sar.export")
    doc = _assemble(session, pupil)
    redact = set(redact)
    unknown = sorted(redact - _keys(doc))
    if unknown:
        raise ValidationError({"redact": [f"not in this pupil's records: {', '.join(unknown)}"]})
    out = _apply(doc, redact)
    out["produced_at"] = dt.datetime.now(dt.timezone.utc).isoformat()
    audit.record(session, "sar.exported", actor=actor, object_type="pupil", object_id=pupil.id,
                 school_id=school_id, detail={"format": fmt, "withheld": sorted(redact)})
    return out


def export_pdf(doc: dict, pupil: Pupil, school_name: str, produced_by: str) -> bytes:
    """An exported document (from :func:`export`) as a PDF, printed as the chronology is."""
    lines: list[ChronologyItem] = []
    for c in doc["concerns"]:
        at = dt.datetime.fromisoformat(c["occurred_at"])
        if c.get("withheld"):
            lines.append(ChronologyItem("core", "concern", at, "Concern", c["note"]))
            continue
        detail = c["fact"] + (f"\nChild's words: \"{c['child_words']}\"" if c["child_words"]
                              else "")
        lines.append(ChronologyItem("core", "concern", at,
                                    f"Concern recorded by {c['recorded_by'] or 'the system'}",
                                    detail))
        for e in c["entries"]:
            at = dt.datetime.fromisoformat(e["at"])
            if e.get("withheld"):
                lines.append(ChronologyItem("core", f"entry:{e['kind']}", at, e["title"],
                                            e["note"]))
            else:
                lines.append(ChronologyItem("core", f"entry:{e['kind']}", at,
                                            f"{e['title']} by {e['author']}", e["body"]))
    for sec in doc.get("plugins", []):
        for i in sec["items"]:
            at = dt.datetime.fromisoformat(i["at"])
            if at.tzinfo is None:
                at = at.replace(tzinfo=dt.timezone.utc)
            lines.append(ChronologyItem(sec["plugin"], "record", at,
                                        sec["title"] if i.get("withheld") else i["title"],
                                        i["note"] if i.get("withheld") else i["text"]))
    for f in doc["flags"]:
        start = dt.datetime.combine(dt.date.fromisoformat(f["start"]), dt.time.min, LONDON)
        lines.append(ChronologyItem("core", "flag", start, f"{f['flag']} started", f["note"]))
    heading = (f"Subject access copy: {doc['pupil']['name']}",
               f"Withheld as third-party information: {len(doc['withheld'])} item(s). "
               f"Agency contacts: " + ("; ".join(f"{a['role']}: {a['name']}"
                                                 for a in doc["agency_contacts"]) or "none")
               + ".")
    return chronology_pdf(lines, pupil, school_name, produced_by, heading=heading)
