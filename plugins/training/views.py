"""The training pages: URL rules here, handlers in ``pages_people`` (people and records) and
``pages_school`` (sessions, policies, needs, courses).

Who may use what (see the plugin guide): the school's admins, headteacher, DSL and deputies
keep the records (``training.manage``); the trust's safeguarding lead and admins may look
(``training.view``: the matrix, a person, the needs analysis); everyone else sees only their
own training and signs policies.
"""
from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

from plugins.training import pages_people as people
from plugins.training import pages_school as school

bp = Blueprint("training", __name__, template_folder="templates",
               url_prefix="/schools/<int:school_id>/training")

RULES = (
    ("", "home", people.home, ["GET"]),
    ("/compliance", "matrix", people.matrix, ["GET"]),
    ("/compliance.csv", "matrix_csv", people.matrix_csv, ["GET"]),
    ("/me", "me", people.me, ["GET"]),
    ("/staff/new", "person_new", people.person_new, ["GET", "POST"]),
    ("/staff/<int:staff_id>", "person", people.person, ["GET"]),
    ("/staff/<int:staff_id>/edit", "person_edit", people.person_edit, ["POST"]),
    ("/staff/<int:staff_id>/records", "record_add", people.record_add, ["POST"]),
    ("/records/<int:record_id>/withdraw", "record_withdraw", people.record_withdraw, ["POST"]),
    ("/records/<int:record_id>/certificate", "certificate", people.certificate, ["GET"]),
    ("/import", "import_records", people.import_records, ["GET", "POST"]),
    ("/sessions", "sessions", school.sessions, ["GET", "POST"]),
    ("/sessions/<int:session_id>", "session", school.session_page, ["GET", "POST"]),
    ("/policies", "policies", school.policies, ["GET", "POST"]),
    ("/policies/<int:policy_id>", "policy", school.policy_page, ["GET", "POST"]),
    ("/policies/<int:policy_id>/sign", "policy_sign", school.policy_sign, ["POST"]),
    ("/needs", "needs", school.needs, ["GET"]),
    ("/courses", "courses", school.courses, ["GET", "POST"]),
)
for rule, endpoint, view, methods in RULES:
    bp.add_url_rule(rule, endpoint, login_required(view), methods=methods)
