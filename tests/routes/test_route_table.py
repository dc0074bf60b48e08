"""Every URL rule of the app has a row saying who may use it, and the app agrees.

Rows live in ``tests/<package>/route_table.py`` (``ROUTES = {endpoint: {"methods": {...},
"allow": {roles}}}``): the API's, the pages', each plugin's. This test (1) fails for any
endpoint without a row, any row without an endpoint, or methods that differ; (2) signs in as
each role and calls every GET route whose URL parameters it can fill (a school, a pupil, a
concern, an attachment, an alert, a flag, the trust, a plugin name): roles in ``allow`` get
an answer (not 404, not 5xx), everyone else 404; signed out, the API says 401 and a page
sends to the sign-in page (or says 404, when a plugin's gate answers first). A DSL of another
school of the same trust stands for "a school the caller cannot see"; on routes that name no
school it is simply a DSL. (3) walks the core API's POST and PUT endpoints the same way.
"""
from __future__ import annotations

import datetime as dt
from importlib.metadata import entry_points

from tests.routes.route_walk import TESTS, TINY, load_module, tiny_plugin

from core import accounts, alerts, concerns, pupils
from core.calendar import LONDON
from core.models import AgencyContact, FamilySuggestion
from core.plugins import ENTRY_POINT_GROUP
from core.policy import actor_for

SCHOOL_ROLES = ("staff", "dsl", "deputy_dsl", "headteacher", "school_admin")
TRUST_ROLES = ("trust_lead", "trust_admin")
OTHER = "other_school_dsl"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def route_table(host) -> dict[str, dict]:
    """Every ``tests/*/route_table.py`` (a plugin's only when that plugin is installed),
    plus the throwaway plugin's rows."""
    plugin_names = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    table: dict[str, dict] = {}
    for path in sorted(TESTS.glob("*/route_table.py")):
        package = path.parent.name
        if package in plugin_names and package not in host.names:
            continue
        rows = load_module(path, f"mat_route_table_{package}").ROUTES
        for endpoint, row in rows.items():
            assert endpoint not in table, f"{endpoint} has rows in two tables ({package})"
            table[endpoint] = row
    table.update(tiny_plugin.tiny_routes(TINY))
    return table


def app_routes(app) -> dict[str, dict]:
    routes: dict[str, dict] = {}
    for rule in app.url_map.iter_rules():
        r = routes.setdefault(rule.endpoint, {"methods": set(), "rules": []})
        r["methods"] |= set(rule.methods) - IGNORED_METHODS
        r["rules"].append(rule)
    return routes


def test_every_route_has_a_row_and_every_row_a_route(app, host):
    table, routes = route_table(host), app_routes(app)
    missing = sorted(set(routes) - set(table))
    stale = sorted(set(table) - set(routes))
    assert not missing, f"routes with no row in any tests/*/route_table.py: {missing}"
    assert not stale, f"rows for routes the app does not have: {stale}"
    wrong = {e: (sorted(table[e]["methods"]), sorted(routes[e]["methods"]))
             for e in routes if set(table[e]["methods"]) != routes[e]["methods"]}
    assert not wrong, f"methods in the table differ from the app's (table, app): {wrong}"
    roles = set(SCHOOL_ROLES) | set(TRUST_ROLES) | {"anonymous"}
    unknown = {e: sorted(set(r["allow"]) - roles) for e, r in table.items()
               if set(r["allow"]) - roles}
    assert not unknown, f"unknown roles in allow: {unknown}"


def _world(session, make_school, make_pupil):
    """A school with one of everything a URL can name, and one person per role."""
    school = make_school()
    other = make_school(trust=school.trust)
    pupil = make_pupil(school)
    concern = concerns.record_concern(
        session, None, school.id, occurred_at=dt.datetime(2026, 10, 5, 10, tzinfo=LONDON),
        pupil_ids=[pupil.id], fact="Came in without a coat again.",
        attachments=[concerns.NewAttachment("note.txt", "text/plain", b"a note")])
    session.flush()
    view = concerns.get_concern(session, _system_dsl(session, school), school.id, concern.id)
    alert, _ = alerts.raise_alert(session, school.id, "test", "Look at this", "route-walk",
                                  pupil_id=pupil.id)
    flag = pupils.set_flag(session, None, school.id, pupil.id, "young_carer",
                           dt.date(2026, 9, 1))
    relative = make_pupil(school)
    link = pupils.link_family(session, None, pupil.id, relative.id, "sibling")
    contact = AgencyContact(school_id=school.id, pupil_id=pupil.id, role="social_worker",
                            name="Sam Worker", start_date=dt.date(2026, 9, 1))
    session.add(contact)
    cousin = make_pupil(school)
    suggestion = FamilySuggestion(
        trust_id=school.trust_id, pupil_id=min(pupil.id, cousin.id),
        related_pupil_id=max(pupil.id, cousin.id), pupil_school_id=school.id,
        related_school_id=school.id, evidence=[{"kind": "address", "key": "address:x"}],
        evidence_key="x")
    session.add(suggestion)
    session.flush()
    imports = _mis_world(session, school, pupil, relative)
    values = {**imports, "school_id": school.id, "pupil_id": pupil.id, "concern_id": concern.id,
              "link_id": link.id, "contact_id": contact.id, "related_pupil_id": relative.id,
              "attachment_id": view.attachments[0].id, "alert_id": alert.id,
              "flag_id": flag.id, "name": TINY, "filename": "app.css",
              "trust_id": school.trust_id, "suggestion_id": suggestion.id,
              "entry_id": _an_entry(session, school, concern)}
    people = {}
    for role in SCHOOL_ROLES:
        people[role] = _person(session, role, school_id=school.id)
    for role in TRUST_ROLES:
        people[role] = _person(session, role, trust_id=school.trust_id)
    people[OTHER] = _person(session, "dsl", school_id=other.id)
    return values, people


_n = iter(range(1, 10_000))


def _mis_world(session, school, pupil, relative) -> dict:
    """An MIS import, a row waiting for review and a "left?" pupil."""
    from core.mis import service as mis_service
    from core.models import MisLeaverCheck, MisReviewItem

    imp = mis_service.start_import(session, None, school.id, b"UPN\n", "roll.csv")
    row = {"where": "line 2", "upn": None, "former_upn": None, "mis_id": None, "flags": {},
           "carers": None, "details": {"first_name": pupil.first_name,
                                       "last_name": pupil.last_name,
                                       "date_of_birth": pupil.date_of_birth.isoformat(),
                                       "year_group": pupil.year_group}}
    item = MisReviewItem(school_id=school.id, trust_id=school.trust_id, import_id=imp.id,
                         pupil_id=pupil.id, row_key="name:walk", reason="same name", row=row)
    check = MisLeaverCheck(school_id=school.id, trust_id=school.trust_id, import_id=imp.id,
                           pupil_id=relative.id)
    session.add_all([item, check])
    session.flush()
    return {"import_id": imp.id, "item_id": item.id, "check_id": check.id}


def _person(session, role, school_id=None, trust_id=None) -> int:
    u = accounts.create_user(session, f"walk{next(_n)}-{role}@example.org", role, None)
    accounts.grant_role(session, u.id, role, school_id=school_id, trust_id=trust_id)
    return u.id


def _system_dsl(session, school):
    return actor_for(session, _person(session, "dsl", school_id=school.id), mfa=True)


def _an_entry(session, school, concern) -> int:
    """An open action (the entry routes that take an id are about actions)."""
    dsl = _system_dsl(session, school)
    return concerns.add_entry(session, dsl, school.id, concern.id, "action", body="Call mum.",
                              due_date=dt.date.today() + dt.timedelta(days=7)).id


def _sign_in(client, user_id: int | None) -> None:
    with client.session_transaction() as sess:
        sess.clear()
        if user_id is not None:
            sess["_user_id"] = str(user_id)
            sess["_fresh"] = True
            sess["mfa_ok"] = True
            sess["csrf_token"] = "route-walk"


def _verdict(role: str, allow: set[str], url: str, names_school: bool, resp) -> str | None:
    """None when the answer is right for this role, else what is wrong."""
    status = resp.status_code
    if status >= 500:
        return f"{status} (server error)"
    effective = role if (role != OTHER or names_school) else "dsl"
    if effective in allow:
        if status == 404 or (role != "anonymous" and status == 401):
            return f"{status}, but the table allows {role}"
        return None
    if role == "anonymous":
        if url.startswith("/api/"):
            return None if status == 401 else f"{status}, expected 401 signed out"
        if status == 404 or (status in (301, 302, 303) and "/login" in resp.location):
            return None
        return f"{status}, expected a redirect to sign in or 404"
    return None if status == 404 else f"{status}, expected 404 for {role}"


def test_each_role_gets_what_its_row_says(app, client, host, session, make_school, make_pupil):
    table, routes = route_table(host), app_routes(app)
    values, people = _world(session, make_school, make_pupil)
    problems, walked = [], 0
    for endpoint, info in sorted(routes.items()):
        if "GET" not in info["methods"] or endpoint not in table:
            continue  # a missing row fails the test above
        for rule in info["rules"]:
            if not set(rule.arguments) <= set(values):
                continue  # parameters no fixture can name: covered by its package's tests
            url = rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]
            walked += 1
            for role in (*SCHOOL_ROLES, *TRUST_ROLES, OTHER, "anonymous"):
                _sign_in(client, people.get(role))
                resp = client.get(url)
                wrong = _verdict(role, set(table[endpoint]["allow"]), url,
                                 "school_id" in rule.arguments, resp)
                if wrong:
                    problems.append(f"{endpoint} GET {url} as {role}: {wrong}")
    assert walked >= 10
    assert not problems, "\n".join(problems)


def test_api_changes_refuse_everyone_their_row_does_not_allow(app, client, host, session,
                                                             make_school, make_pupil):
    """The core API's POST/PUT endpoints check access before reading the body, so an empty
    body tells the roles apart: allowed roles hear what is missing (422) or get it done,
    everyone else 404, and signed out 401."""
    api_rows = load_module(TESTS / "api" / "route_table.py", "mat_route_table_api_own").ROUTES
    routes = app_routes(app)
    values, people = _world(session, make_school, make_pupil)
    problems, walked = [], 0
    for endpoint, row in sorted(api_rows.items()):
        for method in sorted(set(row["methods"]) - {"GET"}):
            for rule in routes[endpoint]["rules"]:
                url = rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]
                walked += 1
                for role in (*SCHOOL_ROLES, *TRUST_ROLES, OTHER, "anonymous"):
                    _sign_in(client, people.get(role))
                    resp = client.open(url, method=method, json={},
                                       headers={"X-CSRF-Token": "route-walk"})
                    wrong = _verdict(role, set(row["allow"]), url, True, resp)
                    if not wrong and role in row["allow"] and resp.status_code not in (
                            200, 201, 422):
                        wrong = f"{resp.status_code}, expected 2xx or 422"
                    if wrong:
                        problems.append(f"{endpoint} {method} {url} as {role}: {wrong}")
    assert walked >= 7
    assert not problems, "\n".join(problems)
