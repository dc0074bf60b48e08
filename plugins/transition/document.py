"""A frozen package read as a document: every section as labelled fields in words, UK dates
and Europe/London times, nothing missing left blank or shown as raw data.

The package keeps what each plugin contributed as JSON (it is hashed and sent as it is); this
module only decides how people see it: on the sender's preview, on the receiver's transfer
page and on the received file. The core's sections (concerns with their entries, flags) and
earlier files have a shape of their own; any other plugin's data is read generically, so a
plugin added later still reads as a document.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from core.calendar import uk_date, uk_datetime
from core.chronology import ENTRY_TITLES
from core.models.concerns import REFERRAL_LABELS

NOT_RECORDED = "not recorded"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_ISO_IN_TEXT = re.compile(r"\b(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?"
                          r"(Z|[+-]\d{2}:\d{2})?)?\b")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")

# Field names plugins use today, as a person says them; anything else reads from its name.
# Their order here is the order they are shown in (a frozen package's keys come sorted).
LABELS = {
    "this_year": "This academic year", "last_year": "Last academic year",
    "from": "From", "to": "To", "date": "Date", "title": "Title",
    "attendance_pct": "Attendance", "possible": "Possible sessions",
    "persistent_absence": "Persistent absence (below 90%)",
    "severe_absence": "Severe absence (below 50%)",
    "unauthorised_sessions": "Unauthorised absence (sessions)",
    "signals": "Attendance signals",
    "received_at": "Received", "incident_date": "Incident", "force": "Police force",
    "police_reference": "Police reference", "child_present": "Child present",
    "welfare_check": "Welfare check", "acknowledged_at": "Acknowledged",
    "support": "Support given", "status": "Status", "notifications": "Notifications",
    "sender_urn": "Sending school's URN", "sender_name": "Sending school",
    "package_sha256": "Content hash (SHA-256)", "upn": "UPN", "urn": "URN",
}
# values shown once in a heading or not at all: ids are the package's own bookkeeping
_SKIP = {"id", "sections"}
_TITLE_KEYS = ("title", "label", "summary", "fact", "flag")


@dataclass
class Field:
    label: str
    value: str


@dataclass
class Group:
    """A titled set of fields, with groups inside it (a year's attendance, one notification)."""
    title: str
    fields: list[Field] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    empty: str = ""  # what to say when a list had nothing in it


@dataclass
class Entry:
    when: str
    what: str
    author: str
    body: str


@dataclass
class ConcernView:
    heading: str
    fact: str
    child_words: str
    opinion: str
    recorded: str
    entries: list[Entry]


@dataclass
class FlagView:
    label: str
    span: str
    note: str


@dataclass
class SectionView:
    title: str
    source: str          # the plugin's name (the template names it through its label)
    summary: str
    concerns: list[ConcernView] | None = None
    flags: list[FlagView] | None = None
    groups: list[Group] = field(default_factory=list)
    earlier: list[SectionView] = field(default_factory=list)
    facts: list[Field] = field(default_factory=list)


@dataclass
class DocumentView:
    facts: list[Field]  # the pupil, the two schools, when it was prepared
    sections: list[SectionView]


def label(key: str) -> str:
    """A field name as a heading: the table above, else its words (``_pct`` as a percentage)."""
    if key in LABELS:
        return LABELS[key]
    words = key[:-4] + " (%)" if key.endswith("_pct") else key
    return words.replace("_", " ").strip().capitalize()


def moment(text: str | None) -> str:
    """An ISO moment from the package in London time (the sender wrote UTC)."""
    if not text:
        return NOT_RECORDED
    try:
        at = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return str(text)
    return uk_datetime(at)


def day(text: str | None) -> str:
    if not text:
        return NOT_RECORDED
    try:
        return uk_date(dt.date.fromisoformat(str(text)[:10]))
    except ValueError:
        return str(text)


def value(key: str, v) -> str:
    """One value in words: nothing is "not recorded", yes/no, UK dates, London times."""
    if v is None or v == "" or v == []:
        return NOT_RECORDED
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        return f"{v:g}%" if key.endswith("_pct") else f"{v:g}" if isinstance(v, float) else str(v)
    if isinstance(v, list):
        return ", ".join(value(key, x) for x in v)
    text = str(v)
    if _ISO_DATE.match(text):
        return day(text)
    if _ISO_MOMENT.match(text):
        return moment(text)
    if _IDENTIFIER.match(text):
        return text.replace("_", " ").capitalize()
    return text


def summary_text(text: str | None) -> str:
    """A plugin's one-line summary as written, with its dates in UK form and no "n/a%"
    (the summaries are machine-written; what people wrote is never rewritten)."""
    def uk(m: re.Match) -> str:
        if m.group(2):
            return moment(m.group(0))
        return day(m.group(1))

    text = _ISO_IN_TEXT.sub(uk, text or "")
    return re.sub(r"\bn/?a\s*%", NOT_RECORDED, text)


_ORDER = {key: n for n, key in enumerate(LABELS)}


def _ordered(data: dict) -> list[tuple[str, object]]:
    """Known fields in the order people expect (a year's dates before its figures), the rest
    after them as they came."""
    return sorted(data.items(), key=lambda kv: _ORDER.get(kv[0], len(_ORDER)))


def _group(title: str, data: dict) -> Group:
    g = Group(title)
    for k, v in _ordered(data):
        if k in _SKIP:
            continue
        if isinstance(v, dict):
            g.groups.append(_group(label(k), v))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            g.groups.append(_list_group(k, v))
        elif isinstance(v, list) and not v and k not in _SCALAR_LISTS:
            g.groups.append(Group(label(k), empty="None recorded."))
        else:
            g.fields.append(Field(label(k), value(k, v)))
    return g


_SCALAR_LISTS = {"support"}


def _item_title(el: dict, n: int) -> str:
    for key in _TITLE_KEYS:
        if el.get(key):
            return str(el[key])
    # else when it happened: a moment before a date (a package's keys come sorted, so the
    # order they were written in is gone), e.g. "Received 3 March 2026, 14:00"
    for pattern in (_ISO_MOMENT, _ISO_DATE):
        for key, v in el.items():
            if isinstance(v, str) and pattern.match(v):
                return f"{label(key)} {value(key, v)}"
    return f"Item {n}"


def _list_group(key: str, items: list[dict]) -> Group:
    outer = Group(label(key))
    for n, el in enumerate(items, start=1):
        title = _item_title(el, n)
        inner = _group(title, {k: v for k, v in el.items() if str(v) != title})
        outer.groups.append(inner)
    return outer


def _concerns(concerns: list[dict]) -> list[ConcernView]:
    out = []
    for c in concerns:
        entries = []
        for e in c.get("entries") or []:
            kind = str(e.get("kind") or "note")
            what = ENTRY_TITLES.get(kind, kind.replace("_", " ").capitalize())
            if e.get("risk_level"):
                what += f": {e['risk_level']} risk"
            if e.get("referral_to"):
                what += f" to {REFERRAL_LABELS.get(e['referral_to'], value('', e['referral_to']))}"
            if e.get("due_date"):
                what += f", due {day(e['due_date'])}"
            entries.append(Entry(moment(e.get("at")), what, e.get("author") or "the DSL",
                                 e.get("body") or ""))
        heading = f"Concern of {moment(c.get('occurred_at'))}"
        if c.get("location"):
            heading += f", {c['location']}"
        recorded = f"Recorded {moment(c.get('recorded_at'))}" if c.get("recorded_at") else \
            "Recorded"
        recorded += f" by {c.get('recorded_by') or 'staff'}"
        out.append(ConcernView(heading, c.get("fact") or NOT_RECORDED,
                               c.get("child_words") or "", c.get("opinion") or "", recorded,
                               entries))
    return out


def _flags(flags: list[dict]) -> list[FlagView]:
    return [FlagView(f.get("label") or value("", f.get("flag")),
                     f"from {day(f.get('start'))} to {day(f['end']) if f.get('end') else 'now'}",
                     f.get("note") or "") for f in flags]


def section(s: dict) -> SectionView:
    """One section of a package as people read it."""
    data = s.get("data") or {}
    view = SectionView(s.get("title") or "Section", s.get("plugin") or "",
                       summary_text(s.get("text")))
    if s.get("plugin") == "core" and "concerns" in data:
        view.concerns = _concerns(data["concerns"])
    elif s.get("plugin") == "core" and "flags" in data:
        view.flags = _flags(data["flags"])
    elif "sections" in data and isinstance(data["sections"], list):  # an earlier school's file
        view.facts = _group("", data).fields
        view.earlier = [section(inner) for inner in data["sections"]]
    else:
        g = _group("", data)
        view.facts, view.groups = g.fields, g.groups
    return view


def read(body: dict) -> DocumentView:
    """The whole package: the pupil's details and every section."""
    p = body.get("pupil") or {}
    name = " ".join(x for x in (p.get("first_name"), p.get("last_name")) if x)
    if p.get("preferred_name"):
        name += f" (known as {p['preferred_name']})"
    year = p.get("year_group")
    year_text = ({-1: "Nursery", 0: "Reception"}.get(year, f"Year {year}")
                 if year not in (None, "") else NOT_RECORDED)
    pupil = [Field("Pupil", name or NOT_RECORDED),
             Field("Date of birth", day(p.get("date_of_birth"))),
             Field("Year group", year_text),
             Field("UPN", p.get("upn") or NOT_RECORDED),
             Field("On roll from", day(p.get("on_roll_from")))]
    sender, to = body.get("from") or {}, body.get("to") or {}
    pupil += [Field("From", f"{sender.get('name') or 'A school'} (URN {sender.get('urn')})"),
              Field("To", f"{to.get('name') or 'A school'} (URN {to.get('urn')})"),
              Field("Left on", day(body.get("leaving_date"))),
              Field("Prepared", f"{moment(body.get('prepared_at'))} by "
                                f"{body.get('prepared_by') or 'the DSL'}")]
    return DocumentView(pupil, [section(s) for s in body.get("sections") or []])
