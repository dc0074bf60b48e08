"""Case studies for practice reviews: from a pupil's chronology, a de-identified draft in the
safeguarding case-study template (background, key events, what went well, what could be
better, learning for the trust), which the trust safeguarding lead edits and exports as PDF.

Nothing identifying leaves without the lead's review: the draft is made by
:class:`core.deidentify.Redactor` (names to roles, dates to "day N", UPNs, addresses, phone
numbers removed); every save is a new, kept version; a version can be marked reviewed only
when none of the file's known names, UPN, address, phone numbers or dates is found in it;
and only the newest version, reviewed, can be exported. Drafting, reading, saving and
exporting are audited (drafting also reads the chronology, audited as a case-file read).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import LONDON
from core.chronology import _source, pupil_chronology
from core.contributions import ChronologyItem
from core.db import get_in_school, system_scope
from core.deidentify import Redactor, relative_day
from core.errors import NotFound, ValidationError
from core.families import RELATION_LABELS
from core.models import (AgencyContact, CaseStudy, CaseStudyVersion, FamilyLink, Membership,
                         Pupil, PupilCarer, PupilFlag, School, User)
from core.models.contacts import CONTACT_ROLES
from core.models.people import ROLE_LABELS
from core.models.pupils import FLAGS, YEAR_GROUPS
from core.policy import Actor, can, require

SECTIONS = {
    "background": "Background",
    "key_events": "Key events",
    "went_well": "What went well",
    "could_be_better": "What could be better",
    "learning": "Learning for the trust",
}
MAX_SECTION = 20_000
MAX_TITLE = 200


@dataclass
class CaseStudyView:
    study: CaseStudy
    versions: list[CaseStudyVersion]

    @property
    def latest(self) -> CaseStudyVersion:
        return self.versions[-1]

    @property
    def exportable(self) -> bool:
        return self.latest.reviewed


def _trust_of(actor: Actor, school_id: int) -> int:
    trust_id = actor.school_trust.get(school_id)
    if trust_id is None:
        raise NotFound("case study")
    return trust_id


def _require(actor: Actor, school_id: int) -> None:
    """The trust lead of the school's trust who may also read its case files."""
    require(actor, "trust.case_study", trust_id=_trust_of(actor, school_id))
    require(actor, "casefile.read", school_id)


# --- who is named in the file -----------------------------------------------------------------

def redactor_for(session: Session, pupil: Pupil, anchor: dt.date) -> Redactor:
    """Everything the platform knows that identifies someone in this pupil's file, each with
    the role that replaces it: the child, their family, their parents and carers (from the
    MIS), every pupil of the school, the staff of the trust, the agency contacts, the
    schools, the address."""
    r = Redactor(anchor)
    r.add_person("the child", f"{pupil.first_name} {pupil.last_name}",
                 f"{pupil.preferred_name or ''} {pupil.last_name}".strip(), pupil.first_name,
                 pupil.preferred_name, pupil.last_name, every_word=True)
    if pupil.upn:
        r.add_phrase(pupil.upn, "[UPN removed]")
    for part in [pupil.address or "", *(pupil.address or "").split(",")]:
        r.add_phrase(part.strip(), "[address removed]")
    with system_scope(session, "case study: the people named in a file"):
        _add_family(session, r, pupil)
        for c in session.scalars(select(PupilCarer).where(
                PupilCarer.pupil_id == pupil.id, PupilCarer.school_id == pupil.school_id)):
            relation = (c.relationship or "parent or carer").lower()
            r.add_person(f"the child's {relation}", f"{c.first_name} {c.last_name}".strip(),
                         f"{c.title} {c.last_name}".strip(), c.first_name, c.last_name,
                         every_word=True)
            for value in (c.phone, c.email, c.address):
                r.add_phrase(value, "[contact details removed]")
        for c in session.scalars(select(AgencyContact).where(
                AgencyContact.pupil_id == pupil.id, AgencyContact.school_id == pupil.school_id)):
            role = f"the {CONTACT_ROLES.get(c.role, 'professional').lower()}"
            r.add_person(role, c.name)
            r.add_phrase(c.organisation, "a partner agency")
            for value in (c.phone, c.email):
                r.add_phrase(value, "[contact details removed]")
        for uid, name, role, school_id in session.execute(
                select(User.id, User.name, Membership.role, Membership.school_id)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.trust_id == pupil.trust_id)
                .order_by(Membership.school_id.is_(None), User.id)):
            here = school_id == pupil.school_id or school_id is None
            label = ROLE_LABELS.get(role, "member of staff").lower()
            r.add_person(f"the {label}" if here else "a member of staff at another school", name)
        for sid, name in session.execute(select(School.id, School.name).where(
                School.trust_id == pupil.trust_id)):
            r.add_phrase(name, "the school" if sid == pupil.school_id else "another school")
        for first, preferred, last in session.execute(
                select(Pupil.first_name, Pupil.preferred_name, Pupil.last_name).where(
                    Pupil.school_id == pupil.school_id, Pupil.id != pupil.id)):
            r.add_person("another child", f"{first} {last}",
                         f"{preferred} {last}" if preferred else None)
    return r


def _add_family(session: Session, r: Redactor, pupil: Pupil) -> None:
    links = session.scalars(select(FamilyLink).where(or_(
        FamilyLink.pupil_id == pupil.id, FamilyLink.related_pupil_id == pupil.id)))
    for link in links:
        other = session.get(Pupil, link.related_pupil_id if link.pupil_id == pupil.id
                            else link.pupil_id)
        if other is not None:
            relation = RELATION_LABELS.get(link.relation, "family member").lower()
            r.add_person(f"the child's {relation}", f"{other.first_name} {other.last_name}",
                         other.first_name, other.preferred_name, other.last_name,
                         every_word=True)
            r.add_phrase(other.upn, "[UPN removed]")
            r.add_phrase(other.address, "[address removed]")


# --- the draft --------------------------------------------------------------------------------

def _day(at: dt.datetime) -> dt.date:
    return at.astimezone(LONDON).date()


def draft_sections(session: Session, pupil: Pupil, items: list[ChronologyItem]) -> dict[str, str]:
    """The template filled from the chronology, de-identified."""
    items = sorted(items, key=lambda i: i.at)
    # day 1 is the first thing that happened, not the day the child joined the school
    events = [i for i in items if i.kind != "roll"] or items
    anchor = _day(events[0].at) if events else pupil.on_roll_from
    r = redactor_for(session, pupil, anchor)
    flags = [FLAGS.get(f.flag, f.flag) for f in session.scalars(
        select(PupilFlag).where(PupilFlag.pupil_id == pupil.id,
                                PupilFlag.school_id == pupil.school_id))]
    roles = sorted({CONTACT_ROLES.get(c, c).lower() for c in session.scalars(
        select(AgencyContact.role).where(AgencyContact.pupil_id == pupil.id,
                                         AgencyContact.school_id == pupil.school_id))})
    concerns = [i for i in items if i.kind == "concern"]
    referrals = [i for i in items if i.kind == "entry:referral"]
    background = (f"The child was in {YEAR_GROUPS.get(pupil.year_group, 'a year group')} when "
                  f"this case study was drafted. "
                  + (f"Recorded vulnerabilities: {', '.join(sorted(set(flags)))}. " if flags
                     else "No vulnerability flags were recorded. ")
                  + (f"Agencies involved: {', '.join(roles)}. " if roles
                     else "No agency contacts were recorded. ")
                  + f"The chronology holds {len(items)} entries over "
                  f"{max(0, (_day(items[-1].at) - anchor).days + 1) if items else 0} days from "
                  f"the first event, "
                  f"including {len(concerns)} concerns and {len(referrals)} referrals.")
    lines = []
    for item in items:
        line = f"{relative_day(_day(item.at), anchor).capitalize()}: [{_source(item)}] " \
               f"{r(item.title)}"
        detail = r(item.detail).strip().replace("\n", "\n    ")
        lines.append(line + (f"\n    {detail}" if detail else ""))
    prompt = ("(For the lead to write after reading the chronology. {hint})")
    first_ref = (f"The first referral came {(_day(referrals[0].at) - anchor).days} days after "
                 f"the first entry." if referrals else "No referral was recorded.")
    return {
        "background": r(background),
        "key_events": "\n".join(lines),
        "went_well": prompt.format(hint=first_ref),
        "could_be_better": prompt.format(hint="Consider gaps between concerns and action."),
        "learning": prompt.format(hint="What should every school of the trust take from it?"),
    }


def create(session: Session, actor: Actor, school_id: int, pupil_id: int,
           title: str = "") -> CaseStudy:
    """Draft a case study from the pupil's chronology (version 1, not reviewed)."""
    _require(actor, school_id)
    with system_scope(session, "case study: the pupil"):
        pupil = get_in_school(session, Pupil, pupil_id, school_id, "pupil")
    title = " ".join((title or "").split()) or "Case study"
    if len(title) > MAX_TITLE:
        raise ValidationError({"title": [f"must be at most {MAX_TITLE} characters"]})
    items = pupil_chronology(session, actor, school_id, pupil_id)
    sections = draft_sections(session, pupil, items)
    r = redactor_for(session, pupil, dt.date.today())
    if r.leftovers(title):
        raise ValidationError({"title": ["must not name the child, their family or staff"]})
    study = CaseStudy(school_id=school_id, pupil_id=pupil_id, title=title,
                      created_by_id=actor.user_id)
    session.add(study)
    session.flush()
    session.add(CaseStudyVersion(school_id=school_id, case_study_id=study.id, version=1,
                                 sections=sections, reviewed=False, saved_by_id=actor.user_id))
    session.flush()
    audit.record(session, "case_study.drafted", actor=actor, object_type="case_study",
                 object_id=study.id, school_id=school_id,
                 detail={"pupil_id": pupil_id, "entries": len(items)})
    return study


def list_studies(session: Session, actor: Actor, trust_id: int) -> list[tuple[CaseStudy, int,
                                                                              bool]]:
    """The trust's case studies, newest first, each with its newest version number and
    whether that version is reviewed."""
    require(actor, "trust.case_study", trust_id=trust_id)
    latest = (select(CaseStudyVersion.case_study_id, func.max(CaseStudyVersion.version)
                     .label("v")).group_by(CaseStudyVersion.case_study_id).subquery())
    rows = session.execute(
        select(CaseStudy, CaseStudyVersion.version, CaseStudyVersion.reviewed)
        .join(latest, latest.c.case_study_id == CaseStudy.id)
        .join(CaseStudyVersion, (CaseStudyVersion.case_study_id == CaseStudy.id)
              & (CaseStudyVersion.version == latest.c.v))
        .where(CaseStudy.trust_id == trust_id)
        .order_by(CaseStudy.created_at.desc(), CaseStudy.id.desc())).all()
    return [(s, v, rev) for s, v, rev in rows if can(actor, "casefile.read", s.school_id)]


def get(session: Session, actor: Actor, case_id: int, *, audit_read: bool = True
        ) -> CaseStudyView:
    """One case study with every version, oldest first (the lead); audited."""
    study = session.get(CaseStudy, case_id)
    if study is None or study.school_id not in actor.school_trust:
        raise NotFound("case study")
    _require(actor, study.school_id)
    versions = list(session.scalars(select(CaseStudyVersion).where(
        CaseStudyVersion.case_study_id == study.id,
        CaseStudyVersion.school_id == study.school_id).order_by(CaseStudyVersion.version)))
    if audit_read:
        audit.record(session, "case_study.read", actor=actor, object_type="case_study",
                     object_id=study.id, school_id=study.school_id,
                     detail={"version": versions[-1].version})
    return CaseStudyView(study, versions)


def save(session: Session, actor: Actor, case_id: int, sections: dict[str, str],
         reviewed: bool) -> CaseStudyVersion:
    """Save the lead's edit as a new version. ``reviewed`` says they have read it for
    anything identifying; it is refused, naming the section, while any known name, the UPN,
    the address, a phone number or a full date is still in the text."""
    view = get(session, actor, case_id, audit_read=False)
    errors: dict[str, list[str]] = {}
    clean = {}
    for key in SECTIONS:
        text = (sections.get(key) or "").replace("\r\n", "\n").strip()
        if len(text) > MAX_SECTION:
            errors[key] = [f"must be at most {MAX_SECTION} characters"]
        clean[key] = text
    if reviewed and not errors:
        with system_scope(session, "case study: the pupil"):
            pupil = session.get(Pupil, view.study.pupil_id)
        r = redactor_for(session, pupil, pupil.on_roll_from)
        for key, text in clean.items():
            if found := r.leftovers(text):
                errors[key] = ["still identifies someone (" + ", ".join(found) + "): take it "
                               "out before marking the draft reviewed"]
    if errors:
        raise ValidationError(errors)
    row = CaseStudyVersion(school_id=view.study.school_id, case_study_id=view.study.id,
                           version=view.latest.version + 1, sections=clean,
                           reviewed=bool(reviewed), saved_by_id=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, "case_study.saved", actor=actor, object_type="case_study",
                 object_id=view.study.id, school_id=view.study.school_id,
                 detail={"version": row.version, "reviewed": row.reviewed})
    return row


def export(session: Session, actor: Actor, case_id: int) -> tuple[CaseStudy, CaseStudyVersion]:
    """The newest version for export, only once the lead has reviewed it; audited."""
    view = get(session, actor, case_id, audit_read=False)
    if not view.exportable:
        raise ValidationError({"reviewed": [
            "the newest version has not been reviewed: read it, take out anything that "
            "identifies someone, and save it as reviewed before exporting"]})
    audit.record(session, "case_study.exported", actor=actor, object_type="case_study",
                 object_id=view.study.id, school_id=view.study.school_id,
                 detail={"version": view.latest.version})
    return view.study, view.latest
