"""Flask's session, kept in the database (see :mod:`core.websessions`): the cookie is a random
token and nothing else. A new token is issued whenever the signed-in person changes (so a
token seen before sign-in is worthless after it), and clearing the session (sign-out) ends it
on the server."""
from __future__ import annotations

import datetime as dt

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from core import websessions
from core.db import SYSTEM, utcnow

USER_KEY = "_user_id"  # where flask-login keeps the signed-in person


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial: dict | None = None, token: str | None = None,
                 row_id: str | None = None, user_id: int | None = None,
                 last_seen: dt.datetime | None = None):
        def on_update(_self):
            _self.modified = True
        super().__init__(initial or {}, on_update)
        self.token, self.row_id, self.loaded_user, self.last_seen = token, row_id, user_id, \
            last_seen
        self.modified = False

    @property
    def permanent(self) -> bool:
        """Always: the lifetime is the server's (idle and absolute limits), not the browser's.
        (flask-login then marks a session seen from another address as not fresh, as before,
        rather than ending it.)"""
        return True

    @permanent.setter
    def permanent(self, value: bool) -> None:
        pass

    @property
    def user_id(self) -> int | None:
        raw = self.get(USER_KEY)
        return int(raw) if raw not in (None, "") else None


def limits_of(app: Flask) -> websessions.Limits:
    """Idle: the app's session lifetime (``MAT_SESSION_MINUTES``); absolute:
    ``MAT_SESSION_MAX_HOURS``."""
    return websessions.Limits(app.permanent_session_lifetime,
                              dt.timedelta(hours=app.config["MAT_SETTINGS"].session_max_hours))


class DatabaseSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession:
        token = request.cookies.get(self.get_cookie_name(app), "")
        if not token:
            return ServerSession()
        with app.extensions["mat_db"].transaction(SYSTEM) as s:
            row = websessions.load(s, token, limits_of(app))
            if row is None:
                return ServerSession()
            return ServerSession(dict(row.data), token, row.id, row.user_id, row.last_seen_at)

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:
        name, domain, path = (self.get_cookie_name(app), self.get_cookie_domain(app),
                              self.get_cookie_path(app))
        if not session:  # cleared: signed out, or never used
            if session.row_id is not None:
                with app.extensions["mat_db"].transaction(SYSTEM) as s:
                    websessions.end(s, session.row_id, "signed out")
                response.delete_cookie(name, domain=domain, path=path)
            return
        now = utcnow()
        rotate = session.row_id is None or session.user_id != session.loaded_user
        stale = session.last_seen is None or now - session.last_seen >= websessions.TOUCH_EVERY
        if not (rotate or session.modified or stale):
            return
        from flask import request

        limits = limits_of(app)
        with app.extensions["mat_db"].transaction(SYSTEM) as s:
            if rotate:  # a new person (or a new visitor): a new token, the old one ended
                if session.row_id is not None:
                    websessions.end(s, session.row_id, "replaced at sign-in")
                session.token = websessions.new_token()
                row = websessions.create(
                    s, session.token, dict(session), limits, user_id=session.user_id,
                    ip=request.remote_addr or "", user_agent=request.user_agent.string or "")
                session.row_id, session.loaded_user = row.id, session.user_id
            else:
                row = s.get(websessions.WebSession, session.row_id)
                if row is None or row.ended_at is not None:  # ended meanwhile: stay ended
                    response.delete_cookie(name, domain=domain, path=path)
                    return
                row.data, row.last_seen_at = dict(session), now
        response.set_cookie(
            name, session.token, expires=now + limits.absolute, httponly=True,
            domain=domain, path=path, secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app))
