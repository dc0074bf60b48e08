"""Per-request context for pages and API: the signed-in actor and a tenant-scoped session.

Views never build sessions or check roles themselves: they call :func:`db`, :func:`actor`
and :func:`require` (which answers 404, never 403)."""
from __future__ import annotations

import logging

from flask import abort, current_app, g, session as flask_session
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from core import policy
from core.db import Scope, narrow_scope, remember_trusts
from core.policy import Actor

log = logging.getLogger(__name__)

NOBODY = Scope(user_id=None, read_schools=frozenset(), write_schools=frozenset(),
               trusts=frozenset(), reason="anonymous")


def actor() -> Actor:
    """The signed-in person (an actor with no roles when signed out)."""
    if "mat_actor" not in g:
        signed_in = bool(current_user) and current_user.is_authenticated
        if "mat_actor" in g:  # loading a bearer token's person resolved the actor with it
            return g.mat_actor
        if signed_in:
            mfa = bool(getattr(g, "mat_token_auth", False) or flask_session.get("mfa_ok"))
            with current_app.extensions["mat_db"].session(
                    Scope(current_user.id, None, None, None, "resolve actor")) as s:
                g.mat_actor = policy.actor_for(s, current_user.id, mfa=mfa)
        else:
            g.mat_actor = Actor(user_id=None)
    return g.mat_actor


def db() -> Session:
    """This request's session, scoped to the schools and trusts the actor belongs to."""
    s = g.get("mat_db")
    if s is None or s.info.get(_FINDING_WHO):
        a = actor()  # may open the session itself, to find a bearer token's person
        scope = a.scope() if a.user_id is not None else NOBODY
        s = g.get("mat_db")
        if s is None:
            s = _open(scope)
        else:  # the same session and transaction, from here on in the actor's scope only
            del s.info[_FINDING_WHO]
            narrow_scope(s, scope)
        # the actor's schools came with their trusts: audit lines and rows written need no
        # system look-up (and no role switch) to find them
        remember_trusts(s, a.school_trust)
    return s


_FINDING_WHO = "mat_finding_who"


def session_finding_who() -> Session | None:
    """This request's session while it finds who is asking (a bearer token, the person and
    their roles), in the system scope; :func:`db` then narrows the same session, in the same
    transaction, to the actor's scope. So an API request takes one connection and one
    transaction, not one for the token and another for the work. None once the request's
    session serves someone already (look the token up apart then)."""
    s = g.get("mat_db")
    if s is None:
        s = _open(Scope(None, None, None, None, reason="who is asking"))
        s.info[_FINDING_WHO] = True
    return s if s.info.get(_FINDING_WHO) else None


def _open(scope: Scope) -> Session:
    s = current_app.extensions["mat_db"].session(scope)
    # first in line: a later after-commit listener that raises (queueing a job) must not
    # hide from the error answer that the data is already saved
    event.listen(s, "after_commit", _mark_committed, insert=True)
    g.mat_db = s
    return s


def _mark_committed(session: Session) -> None:
    if session.get_nested_transaction() is None:  # also fired for a released SAVEPOINT
        session.info["mat_committed"] = True


def committed() -> bool:
    """Whether this request's session has committed something, so an error answer must not
    claim that nothing was saved."""
    s = g.get("mat_db")
    return bool(s is not None and s.info.get("mat_committed"))


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
            s.commit()  # a failure here reaches web.errors, which says whether it was saved
        else:
            _quietly(s.rollback, "rolling back a failed request")
    return response


def close_db(exc: BaseException | None = None) -> None:
    """teardown: give the connection back. Nothing raised here may escape: the answer is
    already decided, and an exception would make the server replace it with a bare 500 (a
    session whose after-commit hook failed refuses even a rollback)."""
    s = g.pop("mat_db", None)
    if s is not None:
        _quietly(s.rollback, "rolling back at the end of a request")
        _quietly(s.close, "closing the request's session")


def _quietly(step, what: str) -> None:
    try:
        step()
    except Exception:
        log.exception("%s failed; the answer to the request is unchanged", what)
