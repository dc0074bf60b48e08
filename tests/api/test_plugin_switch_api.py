"""Plugins switched per school through the API, with a throwaway plugin that has one API
endpoint: off for one school, its endpoint answers 404 there and nowhere else."""
import pytest
from sqlalchemy import select
from tests.api.tiny_plugin import make_tiny_plugin

from core import accounts
from core.config import Settings
from core.models import AuditEntry
from core.plugins import make_host, use_host
from web import create_app


@pytest.fixture
def tiny_app(db, host, tmp_path):
    h = make_host(load_entry_points=False, extra=[("tinyapi", make_tiny_plugin("tinyapi"))])
    use_host(h)  # make_school switches on the plugins of the current host
    app = create_app(Settings(instance_path=tmp_path, database_url="sqlite://",
                              secret_key="y" * 40), db=db, host=h)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def tiny_caller(tiny_app, session, make_user):
    client = tiny_app.test_client()

    def _make(role, school=None, trust=None):
        user, _ = make_user(role, school=school, trust=trust)
        headers = {"Authorization": f"Bearer {accounts.create_token(session, user.id)}"}

        def call(method, url, **kw):
            return client.open(url, method=method, headers=headers, **kw)
        call.user = user
        return call
    return _make


def test_a_plugin_off_for_one_school_answers_404_there_only(tiny_caller, make_school, session):
    a = make_school()
    b = make_school(trust=a.trust)
    lead = tiny_caller("trust_lead", trust=a.trust)
    things = "/api/v1/schools/{}/tinyapi/things"
    assert lead("GET", things.format(a.id)).get_json() == [{"school_id": a.id,
                                                            "plugin": "tinyapi"}]
    admin = tiny_caller("school_admin", a)
    switch = f"/api/v1/schools/{a.id}/plugins/tinyapi"
    assert admin("GET", switch).get_json() == {"name": "tinyapi", "label": "Tinyapi",
                                               "description": "A test plugin", "enabled": True}
    r = admin("PUT", switch, json={"enabled": False})
    assert r.status_code == 200 and r.get_json()["enabled"] is False
    assert lead("GET", things.format(a.id)).status_code == 404
    assert lead("GET", things.format(b.id)).status_code == 200
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "plugin.disabled")).all()
    assert [(e.school_id, e.object_id, e.user_id) for e in audit] == [
        (a.id, "tinyapi", admin.user.id)]
    assert admin("PUT", switch, json={"enabled": True}).get_json()["enabled"] is True
    assert lead("GET", things.format(a.id)).status_code == 200
    assert tiny_caller("school_admin", a)("GET", f"/api/v1/schools/{a.id}/plugins").get_json(
    ) == [{"name": "tinyapi", "label": "Tinyapi", "description": "A test plugin",
           "enabled": True}]


def test_who_may_switch_plugins(tiny_caller, make_school, session):
    a = make_school()
    b = make_school(trust=a.trust)
    switch = f"/api/v1/schools/{a.id}/plugins/tinyapi"
    for role in ("staff", "dsl", "headteacher"):
        assert tiny_caller(role, a)("PUT", switch, json={"enabled": False}).status_code == 404
    assert tiny_caller("trust_lead", trust=a.trust)("GET", switch).status_code == 404
    assert tiny_caller("school_admin", b)("PUT", switch, json={"enabled": False}
                                          ).status_code == 404
    trust_admin = tiny_caller("trust_admin", trust=a.trust)
    assert trust_admin("GET", switch).get_json()["enabled"] is True
    assert trust_admin("GET", f"/api/v1/schools/{a.id}/plugins/nosuch").status_code == 404
    assert trust_admin("PUT", f"/api/v1/schools/{a.id}/plugins/nosuch",
                       json={"enabled": True}).status_code == 404
    bad = trust_admin("PUT", switch, json={"enabled": "perhaps"})
    assert bad.status_code == 422 and list(bad.get_json()["errors"]["json"]) == ["enabled"]
    assert trust_admin("PUT", switch).status_code == 422  # no body at all
    assert session.scalars(select(AuditEntry).where(
        AuditEntry.action.in_(["plugin.disabled", "plugin.enabled"]),
        AuditEntry.school_id == a.id, AuditEntry.user_id.is_not(None))).all() == []


def test_signed_out_callers_get_401_even_for_plugin_endpoints(tiny_app, make_school):
    a = make_school()
    r = tiny_app.test_client().get(f"/api/v1/schools/{a.id}/tinyapi/things")
    assert r.status_code == 401 and r.get_json()["code"] == 401
