"""Nobody chooses another person's password, and case-file roles pass the trust lead.

**Invitations.** A person added by an admin gets an account with no password and an
invitation: a random single-use token, of which only the SHA-256 is kept, that ends after
:data:`INVITE_DAYS` days, when it is used, or when a newer invitation replaces it. The link goes
by email (the link only); the caller shows it once to the admin when mail is not configured.
The invitee sets their own password (:func:`core.accounts.password_problem`) with it.

**Role requests.** A case-file role (:data:`LEAD_CONFIRMS`: DSL, deputy DSL, trust lead) given
by anyone who may not confirm roles (``roles.confirm``: the trust safeguarding lead) is a
pending :class:`RoleRequest` until a trust lead of that trust, who is neither the requester nor
the person, confirms it. The trust's leads are told by email. Every step is audited.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import accounts, audit
from core.db import utcnow
from core.errors import NotFound, ValidationError
from core.models import Membership, School, User
from core.models.invitations import Invitation, RoleRequest
from core.models.people import ROLE_LABELS
from core.policy import Actor, can

INVITE_DAYS = 7
LEAD_CONFIRMS = frozenset({"dsl", "deputy_dsl", "trust_lead"})


def _digest(raw: str) -> str:
    return hashlib.sha256((raw or "").encode()).hexdigest()


# --- invitations ----------------------------------------------------------------------------

def invite(session: Session, user_id: int, link: Callable[[str], str], *,
           by_user_id: int | None = None) -> str:
    """End the person's open invitations, make a new one and email its link (nothing else:
    no school, no role, no case detail). Returns the link, for showing once when mail is not
    configured."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    now = utcnow()
    for old in session.scalars(select(Invitation).where(
            Invitation.user_id == user_id, Invitation.used_at.is_(None),
            Invitation.ended_at.is_(None))):
        old.ended_at = now
    raw = secrets.token_urlsafe(32)
    inv = Invitation(user_id=user_id, token_hash=_digest(raw), created_by_id=by_user_id,
                     created_at=now, expires_at=now + dt.timedelta(days=INVITE_DAYS))
    session.add(inv)
    session.flush()
    url = link(raw)
    from core.mail import queue_mail

    queue_mail(session, user.email, "Set your password for MAT Safeguarding",
               f"Hello {user.name},\n\nYou have been given an account. Set your own password "
               f"here within {INVITE_DAYS} days (the link works once):\n\n{url}\n\n"
               "If you did not expect this, ignore this message.")
    audit.record(session, "invitation.sent", object_type="user", object_id=user_id,
                 detail={"email": user.email, "expires": inv.expires_at.isoformat()})
    return url


def open_invitation(session: Session, raw: str) -> tuple[Invitation, User]:
    """The invitation a link names, or :class:`ValidationError` on ``token`` saying plainly
    why it no longer works."""
    inv = session.scalar(select(Invitation).where(Invitation.token_hash == _digest(raw)))
    user = session.get(User, inv.user_id) if inv is not None else None
    if inv is None or user is None or not user.active:
        raise ValidationError({"token": ["this invitation link is not known: ask your admin "
                                         "for a new one"]})
    if inv.used_at is not None:
        raise ValidationError({"token": ["this invitation has already been used: sign in "
                                         "with the password you set"]})
    if inv.ended_at is not None:
        raise ValidationError({"token": ["this invitation was replaced by a newer one: use "
                                         "the latest link you were sent"]})
    if inv.expires_at <= utcnow():
        raise ValidationError({"token": [f"this invitation expired on "
                                         f"{inv.expires_at:%d %B %Y}: ask your admin for a "
                                         f"new one"]})
    return inv, user


def accept(session: Session, raw: str, password: str, confirm: str | None = None) -> User:
    """The invitee sets their own password; the invitation is spent. Audited."""
    inv, user = open_invitation(session, raw)
    errors: dict[str, list[str]] = {}
    if problem := accounts.password_problem(password or ""):
        errors["password"] = [problem]
    elif confirm is not None and confirm != password:
        errors["confirm"] = ["does not match the password"]
    if errors:
        raise ValidationError(errors)
    user.password_hash = accounts.hash_password(password)
    inv.used_at = utcnow()
    session.flush()
    audit.record(session, "invitation.accepted", object_type="user", object_id=user.id,
                 user_id=user.id)
    return user


# --- role requests --------------------------------------------------------------------------

def grant_or_request(session: Session, actor: Actor, user_id: int, role: str, *,
                     school_id: int | None = None, trust_id: int | None = None,
                     requests_link: str = "") -> Membership | RoleRequest:
    """Grant ``role`` at once, or, for a case-file role given by someone who may not confirm
    roles in the trust, record a pending request and tell the trust's leads."""
    if school_id is not None:
        school = session.get(School, school_id)
        if school is None:
            raise ValidationError({"school": [f"role {role} needs an existing school"]})
        trust_id = school.trust_id
    if role not in LEAD_CONFIRMS or (
            role != "trust_lead" and can(actor, "roles.confirm", trust_id=trust_id)):
        return accounts.grant_role(session, user_id, role, school_id=school_id,
                                   trust_id=trust_id)
    if trust_id is None:
        raise ValidationError({"trust": [f"role {role} needs an existing trust"]})
    existing = session.scalar(select(RoleRequest).where(
        RoleRequest.user_id == user_id, RoleRequest.role == role,
        RoleRequest.trust_id == trust_id, RoleRequest.decided_at.is_(None),
        RoleRequest.at_school_id.is_(None) if school_id is None
        else RoleRequest.at_school_id == school_id))
    if existing is not None:
        return existing
    req = RoleRequest(user_id=user_id, role=role, at_school_id=school_id, trust_id=trust_id,
                      requested_by_id=actor.user_id)
    session.add(req)
    session.flush()
    audit.record(session, "role.requested", object_type="user", object_id=user_id,
                 school_id=school_id, trust_id=trust_id,
                 detail={"role": role, "request": req.id})
    _tell_leads(session, req, requests_link)
    return req


def _tell_leads(session: Session, req: RoleRequest, link: str) -> None:
    from core.mail import queue_mail

    leads = session.scalars(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.trust_id == req.trust_id, Membership.role == "trust_lead",
        Membership.school_id.is_(None), User.active.is_(True),
        User.id != req.requested_by_id)).unique()
    for lead in leads:
        queue_mail(session, lead.email, "A safeguarding role waits for your confirmation",
                   f"Hello {lead.name},\n\nSomeone has been given the role "
                   f"{ROLE_LABELS.get(req.role, req.role)}, which reads child protection "
                   "records. It starts only once you confirm it: sign in and open Role "
                   f"requests.\n\n{link}\n", dedupe_key=f"role-request:{req.id}:{lead.id}")


def pending(session: Session, actor: Actor, trust_id: int) -> list[tuple[RoleRequest, User,
                                                                          User, School | None]]:
    """Open requests of the trust, for its leads: (request, person, requester, school)."""
    if not can(actor, "roles.confirm", trust_id=trust_id):
        raise NotFound("role requests")
    rows = []
    for req in session.scalars(select(RoleRequest).where(
            RoleRequest.trust_id == trust_id, RoleRequest.decided_at.is_(None))
            .order_by(RoleRequest.requested_at)):
        rows.append((req, session.get(User, req.user_id), session.get(User, req.requested_by_id),
                     session.get(School, req.at_school_id) if req.at_school_id else None))
    return rows


def decide(session: Session, actor: Actor, trust_id: int, request_id: int,
           confirm: bool) -> RoleRequest:
    """A trust lead confirms (the role is granted) or declines a request. Nobody decides a
    request they made or one that gives them the role."""
    if not can(actor, "roles.confirm", trust_id=trust_id):
        raise NotFound("role request")
    req = session.get(RoleRequest, request_id)
    if req is None or req.trust_id != trust_id:
        raise NotFound("role request")
    if req.decided_at is not None:
        raise ValidationError({"request": [f"was already {req.outcome}"]})
    if actor.user_id in (req.requested_by_id, req.user_id):
        raise ValidationError({"request": ["you cannot confirm your own request: another "
                                           "trust safeguarding lead must"]})
    req.decided_by_id, req.decided_at = actor.user_id, utcnow()
    req.outcome = "confirmed" if confirm else "declined"
    session.flush()
    audit.record(session, f"role.{req.outcome}", object_type="user", object_id=req.user_id,
                 school_id=req.at_school_id, trust_id=trust_id,
                 detail={"role": req.role, "request": req.id,
                         "requested_by": req.requested_by_id})
    if confirm:
        accounts.grant_role(session, req.user_id, req.role, school_id=req.at_school_id,
                            trust_id=trust_id)
    return req
