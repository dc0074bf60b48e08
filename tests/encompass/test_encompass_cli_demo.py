"""The credential CLI and the demo data."""
from __future__ import annotations

import base64
import datetime as dt

import click
from click.testing import CliRunner
from sqlalchemy import select

from core.accounts import create_user, grant_role
from core.models import Trust
from core.pupils import link_family
from plugins.encompass import clients
from plugins.encompass.cli import register
from plugins.encompass.demo import seed_demo
from plugins.encompass.models import (EncompassApiClient, EncompassChild, EncompassNotification,
                                      EncompassStep, KeyAdult)


def _cli() -> click.Group:
    group = click.Group("mat")
    register(group)
    return group


def test_create_client_prints_the_secret_once_and_stores_only_its_hash(session, fresh,
                                                                       make_school):
    school = make_school()
    trust = session.get(Trust, school.trust_id)
    r = CliRunner().invoke(_cli(), ["encompass", "create-client", "--trust", trust.name,
                                    "--name", "Northshire Police", "--urn", school.urn])
    assert r.exit_code == 0, r.output
    key_id = r.output.split("key id: ")[1].split()[0]
    secret = r.output.split("secret: ")[1].split()[0]
    s = fresh()
    client = s.scalar(select(EncompassApiClient).where(EncompassApiClient.key_id == key_id))
    assert client.urn == school.urn and secret not in client.secret_hash
    header = "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    assert clients.authenticate(s, header).id == client.id
    bad = CliRunner().invoke(_cli(), ["encompass", "create-client", "--trust", trust.name,
                                      "--name", "X", "--urn", "999999"])
    assert bad.exit_code == 2 and "urn: no school of this trust has that URN" in bad.output
    revoked = CliRunner().invoke(_cli(), ["encompass", "revoke-client", key_id])
    assert revoked.exit_code == 0
    assert clients.authenticate(fresh(), header) is None


def test_demo_data_covers_every_state_a_family_and_an_unmatched_child(session, make_trust,
                                                                     make_school, make_pupil):
    trust = make_trust()
    schools = [make_school(trust=trust, terms=False) for _ in range(2)]
    from core.calendar import TermSpan, london_today
    from core.schools import set_terms

    today = london_today()
    for i, sc in enumerate(schools):
        set_terms(session, sc.id, [TermSpan("Demo", today - dt.timedelta(days=60),
                                            today + dt.timedelta(days=30))])
        for role in ("staff", "dsl"):
            u = create_user(session, f"demo-{role}-{i}@example.org", f"{role} {i}", None)
            grant_role(session, u.id, role, school_id=sc.id)
    names = [("Amelia", "Smith"), ("Oliver", "Patel"), ("Isla", "Nowak"), ("Musa", "Okafor"),
             ("Jack", "Smith"), ("Freya", "Hughes"), ("Leo", "Brown"), ("Ava", "Kaur")]
    pupils = [make_pupil(schools[k // 4], first_name=first, last_name=last,
                         date_of_birth=dt.date(2015, 3, 20 - k))
              for k, (first, last) in enumerate(names)]
    link_family(session, None, pupils[0].id, pupils[4].id, "sibling")
    seed_demo(session, trust.id, [s.id for s in schools], seed=3)
    ns = session.scalars(select(EncompassNotification)).all()
    assert 9 <= len(ns) <= 12
    assert any(n.linked_from_id for n in ns)  # the family reached at the second school
    waiting = session.scalars(select(EncompassChild).where(
        EncompassChild.match.in_(("unmatched", "ambiguous")))).all()
    assert any(c.last_name == "Marsh-Whitfield" for c in waiting)
    kinds = set(session.scalars(select(EncompassStep.kind)))
    assert {"received", "acknowledged", "support", "dsl_review", "closed"} <= kinds
    assert len(session.scalars(select(KeyAdult)).all()) == 2


def test_registration_time_command(session, fresh, make_school):
    from plugins.encompass.deadlines import registration_time

    school = make_school()
    trust = session.get(Trust, school.trust_id)
    ok = CliRunner().invoke(_cli(), ["encompass", "registration-time", "--trust", trust.name,
                                     "08:50"])
    assert ok.exit_code == 0, ok.output
    assert registration_time(fresh(), trust.id) == dt.time(8, 50)
    bad = CliRunner().invoke(_cli(), ["encompass", "registration-time", "--trust", trust.name,
                                      "late"])
    assert bad.exit_code == 2 and "registration_time: must be a time like 08:45" in bad.output
