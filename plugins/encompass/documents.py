"""Uploaded notifications: an email (.eml) or a document (.txt, .pdf).

An email is parsed with the standard library: its text is searched for the labelled lines
police notifications carry ("Force:", "Reference:", "Incident date:", "Child: name, date
of birth"), and what is found pre-fills the form the key adult checks and completes. Other
documents are stored as they are and the key adult keys the notification in beside them.
The original is always kept and attached to the notification.
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import re

from sqlalchemy.orm import Session

from core import audit, filetypes
from core.db import get_in_school
from core.errors import ValidationError
from core.filetypes import content_problem
from core.policy import Actor, require

from plugins.encompass.models import EncompassDocument

TYPES = {".eml": "message/rfc822", ".txt": "text/plain", ".pdf": "application/pdf"}
MAX_BYTES = 5 * 1024 * 1024
LABELS = {
    "force": ("force", "police force"),
    "police_reference": ("reference", "police reference", "crime reference", "occurrence number",
                         "incident number"),
    "incident_date": ("incident date", "date of incident"),
    "incident_time": ("incident time", "time of incident", "time"),
    "incident_place": ("place", "location", "incident location", "address of incident"),
    "child_present": ("child present", "children present", "child present at incident"),
    "welfare_check": ("welfare check", "welfare check made"),
    "child_words": ("child's words", "childs words", "voice of the child"),
    "summary": ("summary", "details", "circumstances"),
    "officer_name": ("officer", "notifying officer", "officer name"),
    "officer_contact": ("officer contact", "contact"),
}
_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})|(\d{4})-(\d{2})-(\d{2})")
_TIME = re.compile(r"\b(\d{1,2})[:.](\d{2})\b")
_LINE = re.compile(r"^\s*([A-Za-z' ]{2,40})\s*:\s*(.+?)\s*$")


def parse_date(text: str) -> dt.date | None:
    """A UK date (day first) or ISO date from ``text``, or ``None``."""
    m = _DATE.search(text or "")
    if not m:
        return None
    try:
        if m.group(1):
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return dt.date(int(m.group(4)), int(m.group(5)), int(m.group(6)))
    except ValueError:
        return None


def _yes_no(text: str) -> str:
    t = text.strip().lower()
    return "yes" if t.startswith(("y", "true")) else "no" if t.startswith(("n", "false")) else ""


def parse_text(body: str) -> dict:
    """Find the labelled fields of a notification in plain text: form values (strings)."""
    found: dict[str, str] = {}
    children: list[dict] = []
    lookup = {label: field for field, labels in LABELS.items() for label in labels}
    for line in body.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        label, value = m.group(1).strip().lower(), m.group(2)
        if label in ("child", "child named", "name of child"):
            name_part, _, rest = value.partition(",")
            words = name_part.split()
            dob = parse_date(rest)
            if len(words) >= 2:
                children.append({"first_name": " ".join(words[:-1]), "last_name": words[-1],
                                 "date_of_birth": dob.isoformat() if dob else ""})
            continue
        field = lookup.get(label)
        if field is None or field in found:
            continue
        if field == "incident_date":
            d = parse_date(value)
            value = d.isoformat() if d else ""
        elif field == "incident_time":
            t = _TIME.search(value)
            value = f"{int(t.group(1)):02d}:{t.group(2)}" if t else ""
        elif field in ("child_present", "welfare_check"):
            value = _yes_no(value)
        if value:
            found[field] = value
    found["children"] = children
    return found


def parse_eml(data: bytes) -> dict:
    """An email's subject, sender, date and labelled fields (see :func:`parse_text`)."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    part = msg.get_body(preferencelist=("plain",))
    body = part.get_content() if part is not None else ""
    fields = parse_text(body)
    fields["email"] = {"subject": str(msg.get("subject", ""))[:200],
                       "from": str(msg.get("from", ""))[:200],
                       "date": str(msg.get("date", ""))[:100]}
    return fields


def store_upload(session: Session, actor: Actor, school_id: int, filename: str,
                 data: bytes) -> EncompassDocument:
    """Keep an uploaded notification; parse it when it is an email."""
    require(actor, "encompass.read", school_id, session=session)
    name = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255]
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if ext not in TYPES:
        raise ValidationError({"file": ["upload an email (.eml), a text file (.txt) or a PDF"]})
    if not data:
        raise ValidationError({"file": ["the file is empty"]})
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": [f"is larger than {MAX_BYTES // (1024 * 1024)} MB"]})
    # the bytes, not the name: an executable renamed .pdf or .txt is refused
    problem = content_problem(filetypes.PDF if ext == ".pdf" else filetypes.TEXT, data)
    if problem:
        raise ValidationError({"file": [f"{name} {problem}"]})
    parsed: dict = {}
    if ext == ".eml":
        try:
            parsed = parse_eml(data)
        except Exception:  # a malformed email is still kept; the key adult keys it in
            parsed = {"children": [], "problem": "the email could not be read"}
    doc = EncompassDocument(school_id=school_id, filename=name, content_type=TYPES[ext],
                            size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data,
                            parsed=parsed, uploaded_by_id=actor.user_id)
    session.add(doc)
    session.flush()
    audit.record(session, "encompass.document_uploaded", actor=actor,
                 object_type="encompass_document", object_id=doc.id, school_id=school_id)
    return doc


def get_document(session: Session, actor: Actor, school_id: int, doc_id: int
                 ) -> EncompassDocument:
    """A stored document for a reader of the school's notifications (audited)."""
    require(actor, "encompass.read", school_id, session=session)
    doc = get_in_school(session, EncompassDocument, doc_id, school_id, "document")
    audit.record(session, "encompass.document_read", actor=actor,
                 object_type="encompass_document", object_id=doc.id, school_id=school_id)
    return doc
