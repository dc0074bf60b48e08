"""Signing in: password (argon2), then a second factor (TOTP, several devices, recovery codes)
for everyone whose role reads case files; sign-out; API bearer tokens; rate-limited attempts."""
from __future__ import annotations

import base64
import io

import segno
from flask import (Blueprint, Flask, abort, current_app, flash, g, redirect, render_template,
                   request, session, url_for)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from core import accounts, invitations, websessions
from core.errors import ValidationError
from core.db import SYSTEM, Scope
from core.models import TotpDevice, User
from core.policy import actor_for, mfa_reasons
from web import context

bp = Blueprint("auth", __name__)


class LoginUser(UserMixin):
    def __init__(self, user_id: int, name: str, email: str):
        self.id, self.name, self.email = user_id, name, email


def _db():
    return current_app.extensions["mat_db"]


def init_login_manager(app: Flask) -> None:
    lm = LoginManager()
    lm.login_view = "auth.login"
    lm.login_message = "Please sign in."
    lm.session_protection = "strong"

    @lm.user_loader
    def _load(user_id: str):
        with _db().session(SYSTEM) as s:
            u = s.get(User, int(user_id))
            if u is None or not u.active:
                return None
            return LoginUser(u.id, u.name, u.email)

    @lm.request_loader
    def _bearer(req):
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        token = header[7:].strip()
        # the request's own session finds the token, its person and their roles (the
        # request's actor, see web.context.actor) in the system scope, then web.context.db
        # narrows it to the actor's scope: one connection, one transaction, and no stepping
        # out of the tenant scope later to look the person up
        s = context.session_finding_who()
        if s is not None:
            return _token_user(s, token)
        with _db().transaction(SYSTEM) as s:
            return _token_user(s, token)

    @lm.unauthorized_handler
    def _unauthorized():
        if request.path.startswith("/api/"):
            abort(401, description="Send a valid API token: Authorization: Bearer <token>")
        return redirect(url_for("auth.login", next=request.full_path))

    lm.init_app(app)
    app.register_blueprint(bp)

    @app.before_request
    def _half_signed_in():
        # a password alone does not reach case files when a second factor is owed
        if current_user.is_authenticated and not getattr(g, "mat_token_auth", False) \
                and session.get("mfa_pending") and request.endpoint not in (
                    "auth.second_factor", "auth.enrol", "auth.logout", "auth.invite", "static"):
            return redirect(url_for("auth.second_factor"))
        return None


def _token_user(s, token: str) -> LoginUser | None:
    u = accounts.user_for_token(s, token)
    if u is None:
        return None
    g.mat_token_auth = True
    g.mat_actor = actor_for(s, u.id, mfa=True)  # a token stands in for the second factor
    return LoginUser(u.id, u.name, u.email)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("pages.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        password = request.form.get("password", "")
        ip = request.remote_addr or ""
        settings = current_app.config["MAT_SETTINGS"]
        with _db().transaction(SYSTEM) as s:
            allowed = accounts.login_allowed(s, email, ip, settings.login_attempts_per_15_min)
            user = accounts.authenticate(s, email, password, ip,
                                         settings.login_attempts_per_15_min) if allowed else None
            if user is not None:
                reasons = mfa_reasons(s, actor_for(s, user.id))
                has = accounts.has_totp(s, user.id)
                login_data = (user.id, user.name, user.email)
        if not allowed:
            flash("Too many attempts. Wait 15 minutes and try again.", "error")
            return render_template("auth/login.html", email=email), 429
        if user is None:
            flash("That email and password do not match an active account.", "error")
            return render_template("auth/login.html", email=email), 401
        return _signed_in(login_data, reasons, has, _safe_next(request.args.get("next")))
    return render_template("auth/login.html", email="")


def _signed_in(login_data: tuple, reasons: list[str], has_factor: bool, next_url: str):
    """Start the session of someone whose password was just checked (or just set): on to the
    second factor, or to enrol one, when what they hold needs it."""
    session.clear()
    login_user(LoginUser(*login_data))
    session["next"] = next_url
    if reasons or has_factor:
        session["mfa_pending"] = True
        session["mfa_reasons"] = reasons
        return redirect(url_for("auth.second_factor" if has_factor else "auth.enrol"))
    return redirect(session.pop("next"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invite(token: str):
    """An invitee sets their own password with the link they were sent, once, and is signed
    in (then enrols a second factor if what they hold needs one)."""
    token = token[:100]
    with _db().transaction(SYSTEM) as s:
        try:
            _inv, user = invitations.open_invitation(s, token)
            name, email = user.name, user.email
        except ValidationError as exc:
            return render_template("auth/invite.html", problem=exc.errors["token"][0]), 410
    if request.method == "POST":
        errors: dict[str, list[str]] = {}
        with _db().transaction(SYSTEM) as s:
            try:
                user = invitations.accept(s, token, request.form.get("password", ""),
                                          request.form.get("confirm", ""))
                reasons = mfa_reasons(s, actor_for(s, user.id))
                has = accounts.has_totp(s, user.id)
                login_data = (user.id, user.name, user.email)
            except ValidationError as exc:
                s.rollback()
                errors = exc.errors
        if errors:
            if "token" in errors:
                return render_template("auth/invite.html", problem=errors["token"][0]), 410
            return render_template("auth/invite.html", name=name, email=email,
                                   errors=errors), 422
        flash("Your password is set.", "success")
        return _signed_in(login_data, reasons, has, url_for("pages.home"))
    return render_template("auth/invite.html", name=name, email=email, errors={})


@bp.route("/login/second-factor", methods=["GET", "POST"])
def second_factor():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if request.method == "POST":
        with _db().transaction(Scope(current_user.id, None, None, None, "mfa")) as s:
            ok = accounts.login_allowed(s, current_user.email, request.remote_addr or "") and \
                accounts.verify_second_factor(s, current_user.id, request.form.get("code", ""))
            if not ok:
                accounts.note_login(s, current_user.email, request.remote_addr or "", False)
        if ok:
            session.pop("mfa_pending", None)
            session.pop("mfa_reasons", None)
            session["mfa_ok"] = True
            return redirect(session.pop("next", None) or url_for("pages.home"))
        flash("That code is not right. Use the 6-digit code from your authenticator app, "
              "or one of your recovery codes.", "error")
        return render_template("auth/second_factor.html",
                               reasons=session.get("mfa_reasons") or []), 401
    return render_template("auth/second_factor.html", reasons=session.get("mfa_reasons") or [])


def _qr_data_uri(uri: str) -> str:
    # svg_inline leaves out the SVG namespace, without which an <img> draws nothing
    buf = io.BytesIO()
    segno.make(uri, error="m").save(buf, kind="svg", scale=5, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


def _enrol_view(template: str, done_endpoint: str | None):
    """Add an authenticator: show a QR code, confirm with a code, then show recovery codes."""
    uid = current_user.id
    with _db().transaction(Scope(uid, None, None, None, "mfa enrol")) as s:
        device_id = session.get("enrol_device")
        device = s.get(TotpDevice, device_id) if device_id else None
        if device is None or device.user_id != uid or device.confirmed_at is not None:
            device = accounts.start_totp(s, uid, request.form.get("name") or "Authenticator")
            session["enrol_device"] = device.id
        if request.method == "POST" and request.form.get("code"):
            if (request.form.get("name") or "").strip():  # the name typed beside the code
                device.name = request.form["name"].strip()[:80]
            if accounts.confirm_totp(s, device.id, request.form["code"]):
                session.pop("enrol_device", None)
                codes = accounts.new_recovery_codes(s, uid) if not s.query(TotpDevice).filter(
                    TotpDevice.user_id == uid, TotpDevice.id != device.id,
                    TotpDevice.confirmed_at.is_not(None)).count() else None
                if done_endpoint:
                    session.pop("mfa_pending", None)
                    session.pop("mfa_reasons", None)
                    session["mfa_ok"] = True
                return render_template("auth/enrolled.html", codes=codes,
                                       next=session.pop("next", None) or url_for("pages.home"))
            flash("That code did not match. Check the time on your phone and try again.", "error")
        uri = accounts.provisioning_uri(device, current_user.email)
        secret = accounts.plain_secret(device)
    return render_template(template, qr=_qr_data_uri(uri), secret=secret,
                           reasons=session.get("mfa_reasons") or [])


@bp.route("/login/enrol", methods=["GET", "POST"])
def enrol():
    if not current_user.is_authenticated or not session.get("mfa_pending"):
        return redirect(url_for("auth.login"))
    with _db().session(SYSTEM) as s:
        if accounts.has_totp(s, current_user.id):
            return redirect(url_for("auth.second_factor"))  # no enrolling past a factor owed
    return _enrol_view("auth/enrol.html", "done")


def _this_session_id() -> str | None:
    return getattr(session, "row_id", None)


@bp.route("/account/security", methods=["GET", "POST"])
def security():
    """Add another device, issue new recovery codes, change the password, see where one is
    signed in and sign out there (signed in, second factor passed)."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    action = request.form.get("action") if request.method == "POST" else None
    if action in ("password", "sign_out_others", "sign_out_one"):
        return _session_action(action)
    if request.method == "POST" and action == "recovery":
        with _db().transaction(Scope(current_user.id, None, None, None, "mfa")) as s:
            if not accounts.has_totp(s, current_user.id):
                abort(400, description="Add an authenticator first.")
            codes = accounts.new_recovery_codes(s, current_user.id)
        return render_template("auth/enrolled.html", codes=codes, next=url_for("pages.home"))
    with _db().session(SYSTEM) as s:
        devices = s.query(TotpDevice).filter(TotpDevice.user_id == current_user.id,
                                             TotpDevice.confirmed_at.is_not(None)).all()
        names = [(d.name, d.confirmed_at) for d in devices]
    g.mat_devices = names
    g.mat_sessions = _where_signed_in()
    return _enrol_view("auth/security.html", None)


def _where_signed_in() -> list[dict]:
    from web.sessions import limits_of

    with _db().session(SYSTEM) as s:
        rows = websessions.live_for_user(s, current_user.id, limits_of(current_app))
        return [{"id": r.id, "ip": r.ip, "agent": r.user_agent, "since": r.created_at,
                 "seen": r.last_seen_at, "this": r.id == _this_session_id()} for r in rows]


def _session_action(action: str):
    uid, here = current_user.id, _this_session_id()
    with _db().transaction(Scope(uid, None, None, None, "own sessions")) as s:
        if action == "password":
            try:
                accounts.change_password(s, uid, request.form.get("current_password", ""),
                                         request.form.get("new_password", ""), keep_session=here)
            except ValidationError as exc:
                s.rollback()
                for field, msgs in exc.errors.items():
                    flash(f"{'Current password' if field == 'current_password' else 'New password'}"
                          f" {'; '.join(msgs)}.", "error")
                return redirect(url_for("auth.security")), 303
            flash("Password changed. You are signed out everywhere else.", "success")
        elif action == "sign_out_others":
            n = websessions.end_for_user(s, uid, "signed out by its owner", keep=here)
            flash(f"Signed out of {n} other session{'s' if n != 1 else ''}.", "success")
        else:
            target = (request.form.get("session") or "")[:64]
            if target and target != here:
                row = s.get(websessions.WebSession, target)
                if row is not None and row.user_id == uid:
                    websessions.end(s, target, "signed out by its owner")
                    flash("That session is signed out.", "success")
    return redirect(url_for("auth.security")), 303


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))
