"""A pupil's single chronology: the core's own entries merged with what plugins contribute
through ``mat_chronology_entries``, filterable by kind and date, exportable as PDF."""
from __future__ import annotations

import datetime as dt
import unicodedata

from fpdf import FPDF
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from core import audit, contacts
from core.bodymap import describe as describe_marks
from core.calendar import LONDON, uk_date, uk_datetime, uk_moment
from core.contributions import ChronologyItem, TransferSection
from core.db import find_in_school
from core.models import Concern, ConcernCategory, ConcernEntry, ConcernPupil, Pupil, PupilFlag, User
from core.models.concerns import REFERRAL_LABELS
from core.models.pupils import FLAGS
from core.plugins import current_host
from core.policy import Actor
from core.pupils import get_pupil

ENTRY_TITLES = {
    "triage": "Triaged", "action": "Action set", "action_done": "Action completed",
    "decision": "Decision", "referral": "Referral", "outcome": "Referral outcome",
    "amendment": "Amendment", "note": "Note", "closure": "Concern closed",
    "reopened": "Concern reopened",
}


def _start_dt(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, LONDON)


def _in_range(at: dt.datetime, start: dt.date | None, end: dt.date | None) -> bool:
    local = at.astimezone(LONDON).date()
    return (start is None or local >= start) and (end is None or local <= end)


def _user_names(session: Session, ids) -> dict[int, str]:
    """Names of just the people named in a file (not the whole users table)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


def _pupil_concerns(session: Session, pupil_id: int) -> tuple[list[Concern], list[ConcernEntry]]:
    """A pupil's concerns (oldest first) and all their entries, in two queries."""
    concerns = session.scalars(select(Concern).join(
        ConcernPupil, and_(ConcernPupil.concern_id == Concern.id,
                           ConcernPupil.school_id == Concern.school_id))
        .where(ConcernPupil.pupil_id == pupil_id).order_by(Concern.occurred_at)).all()
    entries = session.scalars(select(ConcernEntry).where(
        ConcernEntry.concern_id.in_([c.id for c in concerns]))
        .order_by(ConcernEntry.created_at, ConcernEntry.id)).all()
    return list(concerns), list(entries)


def _marks_text(marks: list[dict] | None) -> str:
    """A body map in words, as the chronology (and its PDF) shows it."""
    lines = describe_marks(marks)
    return ("\nBody map: " + "; ".join(lines)) if lines else ""


def core_entries(session: Session, school_id: int, pupil_id: int, start: dt.date | None,
                 end: dt.date | None) -> list[ChronologyItem]:
    """The core's part of a chronology: concerns, the DSL's entries, flags, roll changes."""
    items: list[ChronologyItem] = []
    pupil = find_in_school(session, Pupil, pupil_id, school_id)
    if pupil is None:
        return items
    # a pupil record never changes school, and composite keys hold its concerns and their
    # entries at that school: all of them are this school's
    concerns, entries = _pupil_concerns(session, pupil_id)
    names = _user_names(session, [c.recorded_by_id for c in concerns] +
                        [e.author_id for e in entries] + [e.owner_id for e in entries])
    cat_ids = {e.category_id for e in entries if e.category_id}
    cats = dict(session.execute(select(ConcernCategory.id, ConcernCategory.label).where(
        ConcernCategory.id.in_(cat_ids))).all()) if cat_ids else {}
    for c in concerns:
        who = names.get(c.recorded_by_id, "the system" if c.recorded_by_id is None else "?")
        detail = c.fact + (f"\nChild's words: \"{c.child_words}\"" if c.child_words else "")
        detail += _marks_text(c.body_map)
        items.append(ChronologyItem("core", "concern", c.occurred_at,
                                    f"Concern recorded by {who}" + (f" ({c.source})"
                                                                   if c.source != "staff" else ""),
                                    detail, f"/schools/{school_id}/concerns/{c.id}"))
    for e in entries:
        title = ENTRY_TITLES[e.kind]
        if e.kind == "triage":
            title += f": {e.risk_level} risk"
            if e.category_id:
                title += f", {cats.get(e.category_id, '')}"
        if e.kind == "referral":
            title += f" to {REFERRAL_LABELS.get(e.referral_to, e.referral_to)}"
        if e.kind == "action" and e.due_date:
            title += f" (due {uk_date(e.due_date)})"
        if e.kind == "action" and e.owner_id and e.owner_id != e.author_id:
            title += f" for {names.get(e.owner_id, '?')}"
        items.append(ChronologyItem("core", f"entry:{e.kind}", e.created_at,
                                    f"{title} by {names.get(e.author_id, '?')}",
                                    e.body + _marks_text(e.body_map),
                                    f"/schools/{school_id}/concerns/{e.concern_id}"))
    for f in session.scalars(select(PupilFlag).where(PupilFlag.pupil_id == pupil_id)):
        items.append(ChronologyItem("core", "flag", _start_dt(f.start_date),
                                    f"{FLAGS.get(f.flag, f.flag)} started", f.note))
        if f.end_date:
            items.append(ChronologyItem("core", "flag", _start_dt(f.end_date),
                                        f"{FLAGS.get(f.flag, f.flag)} ended"))
    items.append(ChronologyItem("core", "roll", _start_dt(pupil.on_roll_from), "Joined the school"))
    if pupil.on_roll_to:
        items.append(ChronologyItem("core", "roll", _start_dt(pupil.on_roll_to),
                                    "Left the school", pupil.leaving_reason or ""))
    return [i for i in items if _in_range(i.at, start, end)]


def pupil_chronology(session: Session, actor: Actor, school_id: int, pupil_id: int, *,
                     kinds: set[str] | None = None, start: dt.date | None = None,
                     end: dt.date | None = None) -> list[ChronologyItem]:
    """The whole timeline, newest first, for a case-file reader. The read is audited."""
    get_pupil(session, actor, school_id, pupil_id, "casefile.read")
    items = current_host().call_for_school(session, school_id, "mat_chronology_entries",
                                           pupil_id=pupil_id, start=start, end=end)
    items = [i for i in items if _in_range(i.at, start, end)]
    if kinds:
        items = [i for i in items if i.kind in kinds or i.kind.split(":")[0] in kinds
                 or i.plugin in kinds]
    audit.record(session, "chronology.read", actor=actor, object_type="pupil", object_id=pupil_id,
                 school_id=school_id, detail={"kinds": sorted(kinds or []),
                                              "start": start, "end": end})
    return sorted(items, key=lambda i: i.at, reverse=True)


def _latin1(text: str) -> str:
    """The PDF's built-in fonts are Latin-1: keep accents where they exist there, fold the
    rest to their base letters rather than lose them."""
    out = []
    for ch in text:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(base or "?")
    return "".join(out)


def _source(item: ChronologyItem) -> str:
    """Who contributed a line, in words: a plugin's declared label, or the core's kind."""
    if item.plugin == "core":
        return item.kind.split(":")[0].capitalize()
    try:
        return current_host().info(item.plugin).label
    except Exception:  # a plugin no longer installed
        return item.plugin.replace("_", " ").capitalize()


def chronology_pdf(items: list[ChronologyItem], pupil: Pupil, school_name: str,
                   produced_by: str, heading: tuple[str, str] | None = None) -> bytes:
    """A chronology as a PDF for a referral or review, oldest first, marked confidential.
    ``heading`` (a title and a note under it) replaces the chronology's own, for another
    document printed the same way (a subject access copy)."""
    title = f"Safeguarding chronology: {pupil.first_name} {pupil.last_name}"
    if heading:
        title = heading[0]
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(title))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    now = dt.datetime.now(LONDON)
    pdf.multi_cell(0, 5, _latin1(
        f"{school_name}. Date of birth {uk_date(pupil.date_of_birth)}. "
        f"UPN {pupil.upn or 'not held'}.\n"
        f"Produced {uk_datetime(now)} by {produced_by}. CONFIDENTIAL: child protection record."
        + (f"\n{heading[1]}" if heading else "")),
        new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for item in sorted(items, key=lambda i: i.at):
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(0, 5, _latin1(f"{uk_moment(item.at)}  [{_source(item)}] {item.title}"),
                       new_x="LMARGIN", new_y="NEXT")
        if item.detail:
            pdf.set_font("Helvetica", "", 9)
            pdf.multi_cell(0, 5, _latin1(item.detail), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
    return bytes(pdf.output())


def core_transfer_sections(session: Session, school_id: int, pupil_id: int
                           ) -> list[TransferSection]:
    """The core's part of a transfer package: flags, every concern with its entries, and the
    agency contacts working with the pupil now."""
    flags = [{"flag": f.flag, "label": FLAGS.get(f.flag, f.flag), "start": f.start_date.isoformat(),
              "end": f.end_date.isoformat() if f.end_date else None, "note": f.note}
             for f in session.scalars(select(PupilFlag).where(PupilFlag.pupil_id == pupil_id))]
    found, all_entries = _pupil_concerns(session, pupil_id)
    names = _user_names(session, [c.recorded_by_id for c in found] +
                        [e.author_id for e in all_entries])
    by_concern: dict[int, list[ConcernEntry]] = {}
    for e in all_entries:
        by_concern.setdefault(e.concern_id, []).append(e)
    concerns = []
    for c in found:
        entries = [{"id": e.id, "kind": e.kind, "at": e.created_at.isoformat(),
                    "author": names.get(e.author_id, ""), "body": e.body,
                    "risk_level": e.risk_level, "referral_to": e.referral_to,
                    "due_date": e.due_date.isoformat() if e.due_date else None,
                    "body_map": describe_marks(e.body_map)}
                   for e in by_concern.get(c.id, [])]
        concerns.append({"id": c.id, "occurred_at": c.occurred_at.isoformat(),
                         "recorded_at": c.recorded_at.isoformat(), "location": c.location,
                         "fact": c.fact, "child_words": c.child_words, "opinion": c.opinion,
                         "recorded_by": names.get(c.recorded_by_id, ""), "source": c.source,
                         "body_map": describe_marks(c.body_map), "entries": entries})
    return [TransferSection("core", "Vulnerability flags", {"flags": flags}),
            TransferSection("core", "Concerns and actions", {"concerns": concerns}),
            TransferSection("core", "Agency contacts",
                            {"contacts": contacts.transfer_rows(session, pupil_id)})]
