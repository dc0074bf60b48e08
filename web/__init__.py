"""The Flask application: pages for people, a JSON API under ``/api/v1`` for systems."""
from __future__ import annotations

import datetime as dt
import secrets

from flask import Flask, abort, g, request, session

from core import audit, jobs, mail, secretbox
from core.audit import RequestInfo, request_info
from core.config import Settings, from_env
from core.db import Database, init_database, use_database
from core.contributions import BlueprintContribution
from core.plugins import PluginHost, current_host, use_host
from web import context
from web.sessions import DatabaseSessionInterface


def create_app(settings: Settings | None = None, db: Database | None = None,
               host: PluginHost | None = None) -> Flask:
    """Build the app. No tables are created here: ``mat init`` runs the migrations."""
    settings = settings or from_env()
    app = Flask(__name__, instance_path=str(settings.instance_path.resolve()))
    init_settings(app, settings)
    init_database_ext(app, settings, db)
    app.session_interface = DatabaseSessionInterface()  # the cookie is a token, no more
    init_plugins(app, host)
    init_security(app)
    init_login(app)
    init_errors(app)
    init_pages(app)
    init_api(app)
    init_plugin_blueprints(app)
    return app


def init_settings(app: Flask, settings: Settings) -> None:
    settings.check()
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAT_SETTINGS=settings,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=settings.session_minutes),
        # the largest request body (MAT_MAX_UPLOAD_MB); web.errors names it in the 413
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        API_TITLE="MAT safeguarding API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )


def init_database_ext(app: Flask, settings: Settings, db: Database | None) -> None:
    if db is None:
        db = init_database(settings.database_url)
    else:
        use_database(db)
    jobs.configure(settings.redis_url, settings.queue_name)
    mail.configure(settings)
    audit.configure(settings)
    secretbox.configure(settings)
    app.extensions["mat_db"] = db
    app.after_request(context.commit_if_ok)
    app.teardown_appcontext(context.close_db)


def init_plugins(app: Flask, host: PluginHost | None) -> None:
    if host is not None:
        use_host(host)
    app.extensions["mat_host"] = current_host()


def init_security(app: Flask) -> None:
    """CSRF on every form, security headers, idle session expiry, audit request info."""

    @app.before_request
    def _request_context():
        # an id past PostgreSQL's integer range cannot name a record: answer as for any
        # record that does not exist, before it reaches the database as an error
        if any(isinstance(v, int) and not 0 <= v < 2**31 for v in (request.view_args or {}).values()):
            abort(404)
        request_info.set(RequestInfo(ip=request.remote_addr or ""))
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and \
                not request.path.startswith("/api/"):
            sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
            if not sent or not secrets.compare_digest(sent, session.get("csrf_token", "")):
                abort(400, description="The form expired or was not sent by this site: "
                                       "reload the page and try again.")

    @app.context_processor
    def _csrf():
        def csrf_token() -> str:
            if "csrf_token" not in session:
                session["csrf_token"] = secrets.token_urlsafe(32)
            return session["csrf_token"]
        return {"csrf_token": csrf_token}

    @app.after_request
    def _headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.endpoint and not request.endpoint.startswith("static"):
            response.headers.setdefault("Cache-Control", "no-store")
        if app.config["MAT_SETTINGS"].production:
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000; includeSubDomains")
        return response


def init_login(app: Flask) -> None:
    from web.auth import init_login_manager

    init_login_manager(app)


def init_errors(app: Flask) -> None:
    from web.errors import register_error_handlers

    register_error_handlers(app)


def init_pages(app: Flask) -> None:
    from web.pages import register_pages

    register_pages(app)


def init_api(app: Flask) -> None:
    from web.api import init_api as _init

    _init(app)


def init_plugin_blueprints(app: Flask) -> None:
    """Mount each plugin's blueprints. A request to a plugin's URL for a school where the
    plugin is off answers 404, exactly as if the page did not exist."""
    host = app.extensions["mat_host"]
    owners: dict[str, str] = {}
    contributions: dict[str, BlueprintContribution] = {}
    for contrib in host.call_global("mat_blueprints"):
        if contrib.api:
            app.extensions["mat_api"].register_blueprint(contrib.blueprint)
        else:
            app.register_blueprint(contrib.blueprint)
        owners[contrib.blueprint.name] = contrib.plugin
        contributions[contrib.blueprint.name] = contrib
    app.extensions["mat_blueprint_owners"] = owners
    # what each plugin blueprint declared it does for itself (web.api reads this too)
    app.extensions["mat_blueprint_contributions"] = contributions

    @app.before_request
    def _plugin_enabled_for_school():
        bp = request.blueprints[0] if request.blueprints else None
        plugin = owners.get(bp) if bp else None
        if plugin is None:
            return None
        school_id = (request.view_args or {}).get("school_id")
        if school_id is None and contributions[bp].checks_school_itself:
            # an intake endpoint routed by a school named in the payload (Encompass's
            # police API) resolves the school and checks the plugin is on there itself
            g.mat_plugin = plugin
            return None
        if school_id is None or not host.is_enabled(context.db(), school_id, plugin):
            abort(404)
        g.mat_plugin = plugin
        return None
