"""Suggested family links from the MIS's data, for the DSLs to confirm or dismiss.

Two pupils of one trust are suggested as family when they share a parent or carer with
parental responsibility (the same person: :mod:`core.family_matching`) or a home address. A
suggestion is never a link: it becomes one only when confirmed, and who confirms depends on
where the children are:

- **both at one school**: a DSL (or deputy) of that school;
- **at two schools**: the DSLs of *both* schools, each for their own pupil, or the trust
  safeguarding lead. A wrong link shows a child's name and school to the other school's DSL
  team, so one school alone cannot make it.

What each person sees: a school's DSL team sees only their own pupil, and of the other child
just "a child at <school>" with that school's DSLs to talk to; the trust safeguarding lead sees
both children. Either school's DSL, or the trust lead, may dismiss a suggestion with a reason;
it does not come back unless the evidence changes (a new shared contact, a new address).
Every decision is an append-only row with its reason, and audited.

:func:`suggest_family_links` computes the suggestions: after an MIS import, and nightly as a
recurring core job (:func:`run_for_school`). It is idempotent.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import london_today
from core.db import system_scope, utcnow
from core.errors import NotFound, ValidationError
from core.family_matching import Carer, address_pairs, contact_pairs
from core.families import RELATION_LABELS
from core.models import FamilyLink, FamilySuggestionDismissal, Membership, Pupil, School, User
from core.models.family_suggestions import FamilySuggestion, FamilySuggestionDecision
from core.models.mis import PupilCarer
from core.models.pupils import YEAR_GROUPS
from core.policy import Actor, can, require

MAX_REASON = 500
Pair = tuple[int, int]


@dataclass
class SuggestionSummary:
    """What one run of :func:`suggest_family_links` did."""

    created: int = 0
    reopened: int = 0   # dismissed or lapsed before, back on new evidence
    updated: int = 0    # still open, evidence changed
    lapsed: int = 0     # open, but the evidence is gone (a contact ended, a pupil left)
    unchanged: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


# --- computing -------------------------------------------------------------------------------

def _evidence_key(evidence: list[dict]) -> str:
    return hashlib.sha256("\n".join(sorted(e["key"] for e in evidence)).encode()).hexdigest()


def _carers(session: Session, trust_id: int, on_roll: dict[int, tuple[int, str | None]],
            today: dt.date) -> list[Carer]:
    # the MIS's own contact id, once the carers table keeps one (matched within a school)
    mis_id = getattr(PupilCarer, "mis_contact_id", None)
    columns = [PupilCarer.pupil_id, PupilCarer.school_id, PupilCarer.title,
               PupilCarer.first_name, PupilCarer.last_name, PupilCarer.phone, PupilCarer.email]
    rows = session.execute(select(*columns, *([mis_id] if mis_id is not None else [])).where(
        PupilCarer.trust_id == trust_id, PupilCarer.parental_responsibility.is_(True),
        or_(PupilCarer.end_date.is_(None), PupilCarer.end_date >= today)))
    return [Carer.of(r[0], r[1], " ".join(p for p in r[2:5] if p), r[5], r[6],
                     r[7] if mis_id is not None else None)
            for r in rows if r[0] in on_roll]


def _candidates(session: Session, trust_id: int, today: dt.date
                ) -> tuple[dict[Pair, list[dict]], dict[int, tuple[int, str | None]]]:
    on_roll = {pid: (sid, address) for pid, sid, address in session.execute(
        select(Pupil.id, Pupil.school_id, Pupil.address).where(
            Pupil.trust_id == trust_id, Pupil.on_roll_from <= today,
            or_(Pupil.on_roll_to.is_(None), Pupil.on_roll_to >= today)))}
    pairs = contact_pairs(_carers(session, trust_id, on_roll, today))
    for pair, evidence in address_pairs({p: a for p, (_, a) in on_roll.items()}).items():
        pairs.setdefault(pair, []).extend(evidence)
    return pairs, on_roll


def _apply(session: Session, row: FamilySuggestion | None, pair: Pair, evidence: list[dict],
           schools: tuple[int, int], trust_id: int, summary: SuggestionSummary) -> None:
    key = _evidence_key(evidence)
    if row is None:
        session.add(FamilySuggestion(trust_id=trust_id, pupil_id=pair[0], related_pupil_id=pair[1],
                                     pupil_school_id=schools[0], related_school_id=schools[1],
                                     evidence=evidence, evidence_key=key))
        summary.created += 1
    elif row.status == "linked" or row.evidence_key == key and row.status != "lapsed":
        summary.unchanged += 1
    else:
        summary.reopened += row.status != "open"
        summary.updated += row.status == "open"
        row.status, row.evidence, row.evidence_key = "open", evidence, key
        row.pupil_school_id, row.related_school_id, row.changed_at = *schools, utcnow()


def suggest_family_links(session: Session, trust_id: int, school_ids=None,
                         today: dt.date | None = None) -> SuggestionSummary:
    """Find the trust's pupils (on roll ``today``) who share a parent or carer with parental
    responsibility or a home address, and keep the suggestions in step: new pairs are
    suggested, an open suggestion whose evidence is gone lapses, a dismissed one comes back
    only on different evidence, pairs already linked (or ended) are left alone, and a pair
    dismissed on a pupil's page before this module existed comes back only for a shared
    contact. With ``school_ids`` only pairs with a pupil at one of those schools are touched
    (the other pupil may be at any school of the trust). Links nothing. Safe to run again:
    a second run changes nothing. Works in the caller's transaction, as the system (an import
    or a job); audited with its counts."""
    today = today or london_today()
    scope = set(school_ids) if school_ids is not None else None
    summary = SuggestionSummary()
    with system_scope(session, "family suggestions: compare the trust's families"):
        pairs, on_roll = _candidates(session, trust_id, today)
        linked = {tuple(r) for r in session.execute(select(
            FamilyLink.pupil_id, FamilyLink.related_pupil_id)
            .where(FamilyLink.trust_id == trust_id))}
        legacy = {tuple(r) for r in session.execute(select(
            FamilySuggestionDismissal.pupil_id, FamilySuggestionDismissal.related_pupil_id)
            .where(FamilySuggestionDismissal.trust_id == trust_id))}
        existing = {(r.pupil_id, r.related_pupil_id): r for r in session.scalars(
            select(FamilySuggestion).where(FamilySuggestion.trust_id == trust_id))}
        for pair, evidence in sorted(pairs.items()):
            schools = (on_roll[pair[0]][0], on_roll[pair[1]][0])
            if scope is not None and not scope & set(schools) or pair in linked:
                continue
            if pair not in existing and pair in legacy and \
                    all(e["kind"] == "address" for e in evidence):
                continue
            _apply(session, existing.get(pair), pair, evidence, schools, trust_id, summary)
        for pair, row in existing.items():
            in_scope = scope is None or scope & {row.pupil_school_id, row.related_school_id}
            if row.status == "open" and in_scope and (pair not in pairs or pair in linked):
                row.status, row.changed_at = "lapsed", utcnow()
                summary.lapsed += 1
        session.flush()
    audit.record(session, "family.suggestions_computed", object_type="trust",
                 object_id=trust_id, trust_id=trust_id,
                 detail={**summary.as_dict(), "schools": sorted(scope) if scope else "all"})
    return summary


def run_for_school(school_id: int) -> dict:
    """The recurring core job (nightly, per school): suggestions for the school's pupils
    against the whole trust."""
    from core.db import SYSTEM, current_database

    with current_database().transaction(SYSTEM) as s:
        trust_id = s.scalar(select(School.trust_id).where(School.id == school_id))
        if trust_id is None:
            return {"skipped": "no such school"}
        return suggest_family_links(s, trust_id, [school_id]).as_dict()


# --- reading ---------------------------------------------------------------------------------

def _pupil(p: Pupil) -> dict:
    return {"id": p.id, "name": p.display_name, "year": YEAR_GROUPS.get(p.year_group, "")}


def _side_evidence(row: FamilySuggestion, pupil_ids: set[int]) -> list[str]:
    """The evidence in words, naming only what the pupils in ``pupil_ids`` hold."""
    out = []
    for e in row.evidence:
        if e["kind"] == "address":
            out.append("Lives at the same address")
            continue
        names = sorted({n for pid, n in e["names"].items() if int(pid) in pupil_ids})
        out.append(f"Shares a parent or carer with parental responsibility: "
                   f"{' / '.join(names)} (same {e['via']})")
    return out


def _dsls(session: Session, school_id: int) -> tuple[list[dict], str]:
    with system_scope(session, "family suggestions: the other school's DSLs"):
        rows = session.execute(select(User.name, User.email, Membership.role).join(
            Membership, Membership.user_id == User.id).where(
            Membership.school_id == school_id, Membership.role.in_(("dsl", "deputy_dsl")),
            User.active.is_(True)).order_by(Membership.role, User.name)).all()
        school = session.get(School, school_id)
    return [{"name": n, "email": e, "role": "DSL" if r == "dsl" else "Deputy DSL"}
            for n, e, r in rows], school.name


def _confirmed_by(session: Session, row: FamilySuggestion) -> set[int | None]:
    """Schools whose DSL confirmed the current evidence (None: the trust lead)."""
    return set(session.scalars(select(FamilySuggestionDecision.for_school_id).where(
        FamilySuggestionDecision.suggestion_id == row.id,
        FamilySuggestionDecision.decision == "confirmed",
        FamilySuggestionDecision.evidence_key == row.evidence_key)))


def for_school(session: Session, actor: Actor, school_id: int) -> list[dict]:
    """The open suggestions with a pupil of ``school_id``, for its DSL team: their own
    pupil(s), the evidence on their side, and for a child at another school only that
    school's name and DSLs, whether this school has confirmed and who else must. Audited."""
    require(actor, "casefile.write", school_id)
    rows = list(session.scalars(select(FamilySuggestion).where(
        FamilySuggestion.status == "open",
        or_(FamilySuggestion.pupil_school_id == school_id,
            FamilySuggestion.related_school_id == school_id))
        .order_by(FamilySuggestion.suggested_at, FamilySuggestion.id)))
    out = []
    for row in rows:
        own_ids = [pid for pid, sid in ((row.pupil_id, row.pupil_school_id),
                                        (row.related_pupil_id, row.related_school_id))
                   if sid == school_id]
        own = [_pupil(p) for p in session.scalars(select(Pupil).where(
            Pupil.school_id == school_id, Pupil.id.in_(own_ids)).order_by(Pupil.id))]
        item = {"id": row.id, "pupils": own, "cross_school": row.cross_school,
                "evidence": _side_evidence(row, set(own_ids)), "suggested_at": row.suggested_at,
                "other_school": None, "confirmed_here": False, "waiting_for": ""}
        if row.cross_school:
            other = row.related_school_id if row.pupil_school_id == school_id \
                else row.pupil_school_id
            dsls, name = _dsls(session, other)
            item["other_school"] = {"name": name, "dsls": dsls}
            item["confirmed_here"] = school_id in _confirmed_by(session, row)
            item["waiting_for"] = (f"the DSL at {name} or the trust safeguarding lead"
                                   if item["confirmed_here"] else "")
        out.append(item)
    audit.record(session, "family.suggestions_read", actor=actor, object_type="school",
                 object_id=school_id, school_id=school_id, detail={"suggestions": len(out)})
    return out


def for_trust(session: Session, actor: Actor, trust_id: int) -> list[dict]:
    """Every open suggestion of the trust for its safeguarding lead: both children (name,
    year group, school), the evidence, and which schools have confirmed. Audited."""
    require(actor, "family.link", trust_id=trust_id)
    if not actor.mfa:  # both children's names are case-file information
        raise NotFound("family suggestions")
    out = []
    with system_scope(session, "family suggestions: the trust lead's list"):
        rows = list(session.scalars(select(FamilySuggestion).where(
            FamilySuggestion.trust_id == trust_id, FamilySuggestion.status == "open")
            .order_by(FamilySuggestion.suggested_at, FamilySuggestion.id)))
        rows = [r for r in rows if all(can(actor, "casefile.read", s)
                                       for s in (r.pupil_school_id, r.related_school_id))]
        # the page's rows in three reads, not four per suggestion
        schools = dict(session.execute(select(School.id, School.name).where(
            School.trust_id == trust_id)).all())
        by_id = {p.id: p for p in session.scalars(select(Pupil).where(Pupil.id.in_(
            {pid for r in rows for pid in (r.pupil_id, r.related_pupil_id)})))}
        confirmations: dict[tuple[int, str], set[int | None]] = {}
        for sid, school, key in session.execute(select(
                FamilySuggestionDecision.suggestion_id, FamilySuggestionDecision.for_school_id,
                FamilySuggestionDecision.evidence_key).where(
                FamilySuggestionDecision.suggestion_id.in_([r.id for r in rows]),
                FamilySuggestionDecision.decision == "confirmed")):
            confirmations.setdefault((sid, key), set()).add(school)
        for row in rows:
            pupils = [by_id[pid] for pid in (row.pupil_id, row.related_pupil_id)]
            confirmed = confirmations.get((row.id, row.evidence_key), set())
            out.append({"id": row.id, "cross_school": row.cross_school,
                        "pupils": [{**_pupil(p), "school_id": p.school_id,
                                    "school_name": schools[p.school_id]} for p in pupils],
                        "evidence": _side_evidence(row, {row.pupil_id, row.related_pupil_id}),
                        "suggested_at": row.suggested_at,
                        "confirmed_by": sorted(schools[s] for s in confirmed if s in schools)})
    audit.record(session, "family.suggestions_read", actor=actor, object_type="trust",
                 object_id=trust_id, trust_id=trust_id, detail={"suggestions": len(out)})
    return out


# --- deciding --------------------------------------------------------------------------------

def _load(session: Session, actor: Actor, suggestion_id: int, school_id: int | None,
          trust_id: int | None) -> FamilySuggestion:
    """The suggestion, if the actor decides for ``school_id`` (a DSL of one of its two
    schools) or ``trust_id`` (the trust lead, who may read both case files); else NotFound."""
    if (school_id is None) == (trust_id is None):
        raise ValueError("decide for a school or for the trust, not both")
    if school_id is not None:
        require(actor, "casefile.write", school_id)
    else:
        require(actor, "family.link", trust_id=trust_id)
    with system_scope(session, "family suggestions: one suggestion"):
        row = session.scalar(select(FamilySuggestion).where(FamilySuggestion.id == suggestion_id))
    if row is None or (school_id is not None and school_id not in
                       (row.pupil_school_id, row.related_school_id)):
        raise NotFound("family suggestion")
    if trust_id is not None and (row.trust_id != trust_id or not all(
            can(actor, "casefile.read", s) for s in (row.pupil_school_id,
                                                       row.related_school_id))):
        raise NotFound("family suggestion")
    return row


def _check(row: FamilySuggestion, reason: str, reason_required: bool) -> str:
    reason = " ".join((reason or "").split())
    errors: dict[str, list[str]] = {}
    if row.status != "open":
        errors["suggestion"] = [{"linked": "was already confirmed: the children are linked",
                                 "dismissed": "was already dismissed",
                                 "lapsed": "no longer applies: the evidence has gone"}
                                [row.status]]
    if reason_required and not reason:
        errors["reason"] = ["is required: say why they are not family"]
    elif len(reason) > MAX_REASON:
        errors["reason"] = [f"must be at most {MAX_REASON} characters"]
    if errors:
        raise ValidationError(errors)
    return reason


def _decide(session: Session, actor: Actor, row: FamilySuggestion, decision: str,
            school_id: int | None, relation: str | None, reason: str) -> None:
    session.add(FamilySuggestionDecision(
        trust_id=row.trust_id, suggestion_id=row.id, decision=decision,
        for_school_id=school_id, relation=relation, reason=reason,
        evidence_key=row.evidence_key, decided_by_id=actor.user_id))
    session.flush()
    audit.record(session, f"family.suggestion_{decision}", actor=actor,
                 object_type="family_suggestion", object_id=row.id, school_id=school_id,
                 trust_id=row.trust_id if school_id is None else None,
                 detail={"for": "trust lead" if school_id is None else "school DSL",
                         "relation": relation, "reason": reason})


def _link(session: Session, actor: Actor, row: FamilySuggestion, relation: str,
          school_id: int | None) -> FamilyLink:
    link = session.scalar(select(FamilyLink).where(
        FamilyLink.pupil_id == row.pupil_id, FamilyLink.related_pupil_id == row.related_pupil_id))
    if link is None:  # a link made by hand meanwhile stands
        link = FamilyLink(trust_id=row.trust_id, pupil_id=row.pupil_id,
                          related_pupil_id=row.related_pupil_id, relation=relation,
                          recorded_by_id=actor.user_id)
        session.add(link)
        session.flush()
        audit.record(session, "family.linked", actor=actor, object_type="family_link",
                     object_id=link.id, school_id=school_id,
                     trust_id=row.trust_id if school_id is None else None,
                     detail={"pupil_id": row.pupil_id, "related_pupil_id": row.related_pupil_id,
                             "school_id": row.pupil_school_id,
                             "related_school_id": row.related_school_id,
                             "relation": relation, "suggestion_id": row.id})
    row.status, row.link_id, row.changed_at = "linked", link.id, utcnow()
    session.flush()
    return link


def confirm(session: Session, actor: Actor, suggestion_id: int, relation: str,
            reason: str = "", *, school_id: int | None = None,
            trust_id: int | None = None) -> FamilySuggestion:
    """Confirm a suggestion as family (``relation``: a key of
    :data:`core.families.RELATION_LABELS`), as a DSL for ``school_id`` or as the trust lead
    for ``trust_id``. The link is made when the confirmations are complete: one DSL for two
    children at one school; both schools' DSLs, or the trust lead, across schools (until
    then the suggestion stays open, waiting, and the other school's DSLs are emailed, naming
    no child). A school confirming twice is refused. Recorded with its reason and audited;
    returns the suggestion (``status`` "linked" once linked)."""
    row = _load(session, actor, suggestion_id, school_id, trust_id)
    reason = _check(row, reason, reason_required=False)
    if relation not in RELATION_LABELS:
        raise ValidationError({"relation": [f"choose one of: "
                                            f"{', '.join(RELATION_LABELS.values())}"]})
    confirmed = _confirmed_by(session, row)
    if school_id is not None and school_id in confirmed:
        raise ValidationError({"suggestion": ["your school has already confirmed it: the "
                                              "other school's DSL or the trust lead must too"]})
    _decide(session, actor, row, "confirmed", school_id, relation, reason)
    confirmed.add(school_id)
    if school_id is None or not row.cross_school or \
            {row.pupil_school_id, row.related_school_id} <= confirmed:
        _link(session, actor, row, relation, school_id)
    else:
        _tell_other_school(session, row, school_id)
    return row


def _tell_other_school(session: Session, row: FamilySuggestion, school_id: int) -> None:
    """Email the other school's DSL team that a suggestion waits for them: the schools only,
    never a child's name (an email leaves the platform)."""
    from core.mail import queue_mail

    other = row.related_school_id if row.pupil_school_id == school_id else row.pupil_school_id
    dsls, other_name = _dsls(session, other)
    _, this_name = _dsls(session, school_id)
    for dsl in dsls:
        queue_mail(session, dsl["email"], "A family suggestion waits for your decision",
                   f"Hello {dsl['name']},\n\nThe DSL team at {this_name} has confirmed that a "
                   f"child there and a child at {other_name} may be family. The link is made "
                   "only when your school confirms too (or the trust safeguarding lead does). "
                   "Sign in and open Family suggestions in your school's links; talk to "
                   f"{this_name}'s DSL first if you are unsure.\n",
                   dedupe_key=f"family-suggestion:{row.id}:" + hashlib.sha256(
                       f"{row.evidence_key}:{dsl['email']}".encode()).hexdigest()[:40])


def dismiss(session: Session, actor: Actor, suggestion_id: int, reason: str, *,
            school_id: int | None = None, trust_id: int | None = None) -> FamilySuggestion:
    """Say the pair is not family, with a reason (required), as a DSL of either school or
    as the trust lead: the suggestion is closed for both schools and comes back only on
    different evidence. Recorded and audited."""
    row = _load(session, actor, suggestion_id, school_id, trust_id)
    reason = _check(row, reason, reason_required=True)
    _decide(session, actor, row, "dismissed", school_id, None, reason)
    row.status, row.changed_at = "dismissed", utcnow()
    session.flush()
    return row
