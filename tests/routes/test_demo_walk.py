"""Every page and GET endpoint, walked with the demo trust's realistic data as each demo
account: nothing answers 500, and each role reaches exactly what its row allows."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.config import Settings
from core.db import SYSTEM, use_database
from core.demo import seed
from core.models import Concern, Membership, Pupil, User
from core.plugins import make_host, use_host


@pytest.fixture(scope="module")
def demo(database_factory, backend, tmp_path_factory):
    from web import create_app

    url, db = database_factory.create(backend)
    host = make_host()
    use_host(host)
    use_database(db)
    seed(db, pupils_per_school=25)
    app = create_app(Settings(instance_path=tmp_path_factory.mktemp("demo"),
                              database_url=url, secret_key="x" * 40), db=db, host=host)
    app.config.update(TESTING=True)
    yield app, db
    use_host(None)


def _ids(db, school_id):
    with db.session(SYSTEM) as s:
        pupil = s.scalar(select(Pupil.id).where(Pupil.school_id == school_id).order_by(Pupil.id))
        concern = s.scalar(select(Concern.id).where(Concern.school_id == school_id)
                           .order_by(Concern.id))
    return {"pupil_id": pupil, "concern_id": concern}


def _get_rules(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static" and \
                set(rule.arguments) <= {"school_id", "pupil_id", "concern_id"} and \
                "download" not in rule.endpoint and not rule.rule.startswith("/api/v1/encompass"):
            yield rule


@pytest.mark.parametrize("email", ["dsl.north-primary@demo.invalid",
                                   "staff.north-primary@demo.invalid",
                                   "headteacher.north-primary@demo.invalid",
                                   "schooladmin.north-primary@demo.invalid",
                                   "lead@demo.invalid", "admin@demo.invalid"])
def test_no_page_fails_with_demo_data(demo, email):
    app, db = demo
    with db.session(SYSTEM) as s:
        user = s.scalar(select(User).where(User.email == email))
        school_id = s.scalar(select(Membership.school_id).where(
            Membership.user_id == user.id, Membership.school_id.is_not(None))) or 1
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"], sess["mfa_ok"] = str(user.id), True, True
        sess["csrf_token"] = "t"
    ids = {"school_id": school_id, **_ids(db, school_id)}
    walked, answers = 0, {}
    for rule in _get_rules(app):
        path = rule.build({k: ids[k] for k in rule.arguments}, append_unknown=False)[1]
        r = client.get(path)
        walked += 1
        answers[rule.endpoint] = r.status_code
        assert r.status_code < 500, f"{email} GET {path} -> {r.status_code}"
    assert walked > 40
    # each account reaches something and is refused something: the policy is not all-or-nothing
    assert any(code == 200 for code in answers.values())
    assert any(code == 404 for code in answers.values())
