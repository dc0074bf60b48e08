"""Admin pages: schools, term dates and closures, people and roles, plugin switches per school,
failed jobs, and the trust's concern categories. School admins manage their own school; trust
admins every school of their trust. Admins never reach case files (the policy says so: none of
these pages shows a concern, an entry or a chronology)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

# the routes live in these modules, one per responsibility; importing them attaches them to bp
from web.views.admin import categories, jobs, people, schools  # noqa: E402,F401
