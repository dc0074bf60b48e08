"""Per-request context for pages and API: the signed-in actor and a tenant-scoped session.

Views never build sessions or check roles themselves: they call :func:`db`, :func:`actor`
and :func:`require` (which answers 404, never 403)."""
from __future__ import annotations

from flask import abort, current_app, g, session as flask_session
from flask_login import current_user
from sqlalchemy.orm import Session

from core import policy
from core.db import Scope
from core.policy import Actor

NOBODY = Scope(user_id=None, read_schools=frozenset(), write_schools=frozenset(),
               trusts=frozenset(), reason="anonymous")


def actor() -> Actor:
    """The signed-in person (an actor with no roles when signed out)."""
    if "mat_actor" not in g:
        if current_user and current_user.is_authenticated:
            mfa = bool(getattr(g, "mat_token_auth", False) or flask_session.get("mfa_ok"))
            with current_app.extensions["mat_db"].session(
                    Scope(current_user.id, None, None, None, "resolve actor")) as s:
                g.mat_actor = policy.actor_for(s, current_user.id, mfa=mfa)
        else:
            g.mat_actor = Actor(user_id=None)
    return g.mat_actor


def db() -> Session:
    """This request's session, scoped to the schools and trusts the actor belongs to."""
    if "mat_db" not in g:
        a = actor()
        scope = a.scope() if a.user_id is not None else NOBODY
        g.mat_db = current_app.extensions["mat_db"].session(scope)
    return g.mat_db


def require(action: str, school_id: int | None = None, trust_id: int | None = None) -> None:
    """404 unless the policy allows ``action``."""
    if not policy.can(actor(), action, school_id, trust_id):
        abort(404)


def host():
    return current_app.extensions["mat_host"]


def commit_if_ok(response):
    """after_request: a request that succeeded commits its work (including the audit lines
    of what it read); one that failed rolls everything back."""
    s = g.get("mat_db")
    if s is not None:
        if response.status_code < 400:
            s.commit()
        else:
            s.rollback()
    return response


def close_db(exc: BaseException | None = None) -> None:
    s = g.pop("mat_db", None)
    if s is not None:
        s.rollback()
        s.close()
