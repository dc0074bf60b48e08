"""The ``mat`` command: clear errors naming the field, nothing half-written."""
from __future__ import annotations

import pyotp
from click.testing import CliRunner
from sqlalchemy import select

from core import accounts
from core.cli import build_cli
from core.db import SYSTEM
from core.models import Membership, User


def run(*args):
    return CliRunner().invoke(build_cli(), list(args), obj=object())


def test_user_create_with_role(db, make_school, session):
    school = make_school()
    session.commit()
    out = run("user", "create", "--email", "New.DSL@Example.org", "--name", "Nia DSL",
              "--password", "a long enough password", "--role", "dsl", "--school", school.urn)
    assert out.exit_code == 0, out.output
    with db.session(SYSTEM) as s:
        u = s.scalar(select(User).where(User.email == "new.dsl@example.org"))
        assert u is not None and accounts.check_password(u, "a long enough password")
        assert [(m.role, m.school_id) for m in s.scalars(
            select(Membership).where(Membership.user_id == u.id))] == [("dsl", school.id)]


def test_bad_input_names_the_field_and_writes_nothing(db, make_school, session):
    make_school()
    session.commit()
    out = run("user", "create", "--email", "x@example.org", "--name", "X",
              "--password", "short", "--role", "dsl", "--school", "000000")
    assert out.exit_code == 2
    assert "password: must be at least 12 characters" in out.output
    out = run("user", "create", "--email", "x@example.org", "--name", "X",
              "--password", "long enough password", "--role", "dsl", "--school", "000000")
    assert out.exit_code == 2 and "school: no school with URN 000000" in out.output
    with db.session(SYSTEM) as s:  # the user was not created without its role
        assert s.scalar(select(User).where(User.email == "x@example.org")) is None
    out = run("user", "create", "--email", "not-an-email", "--name", "X", "--password",
              "long enough password")
    assert out.exit_code == 2 and "email: is not a valid email address" in out.output


def test_token_create_prints_a_working_token(db, session):
    u = accounts.create_user(session, "api@example.org", "API user", "long enough password")
    session.commit()
    out = run("token", "create", "--user", "api@example.org")
    assert out.exit_code == 0
    raw = out.output.strip().splitlines()[-1]
    with db.session(SYSTEM) as s:
        assert accounts.user_for_token(s, raw).id == u.id
        assert accounts.user_for_token(s, raw + "x") is None
    assert run("token", "create", "--user", "nobody@example.org").exit_code == 2


def test_school_and_trust_commands_validate(db):
    assert run("trust", "create", "CLI Trust").exit_code == 0
    bad = run("school", "create", "--trust", "CLI Trust", "--urn", "12ab56", "--name", "S")
    assert bad.exit_code == 2 and "urn: must be the school's 6-digit DfE URN" in bad.output
    ok = run("school", "create", "--trust", "CLI Trust", "--urn", "123456", "--name", "S")
    assert ok.exit_code == 0
    dup = run("school", "create", "--trust", "CLI Trust", "--urn", "123456", "--name", "S2")
    assert dup.exit_code == 2 and "already registered" in dup.output


def test_second_factor_accepts_each_code_once(session):
    u = accounts.create_user(session, "mfa@example.org", "M", "long enough password")
    device = accounts.start_totp(session, u.id, "phone")
    code = pyotp.TOTP(accounts.plain_secret(device)).now()
    assert accounts.confirm_totp(session, device.id, code)
    assert not accounts.verify_second_factor(session, u.id, code)  # replay refused
    codes = accounts.new_recovery_codes(session, u.id)
    assert accounts.verify_second_factor(session, u.id, codes[0])
    assert not accounts.verify_second_factor(session, u.id, codes[0])  # spent


def test_login_rate_limit(session):
    accounts.create_user(session, "rl@example.org", "R", "long enough password")
    for _ in range(5):
        assert accounts.authenticate(session, "rl@example.org", "wrong", "10.0.0.1") is None
    # the right password is refused too once the limit is reached
    assert accounts.authenticate(session, "rl@example.org", "long enough password",
                                 "10.0.0.1") is None
    assert not accounts.login_allowed(session, "rl@example.org", "10.0.0.2")


def test_a_database_that_cannot_be_reached_is_said_plainly_not_a_traceback(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, MAT_INSTANCE_PATH=str(tmp_path),
               MAT_DATABASE_URL="postgresql://postgres@127.0.0.1:1/nothing")
    env.pop("MAT_REDIS_URL", None)
    out = subprocess.run([sys.executable, "-c", "from web.cli import main; main()", "jobs",
                          "list"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 3
    assert "error: the database could not be reached" in out.stderr
    assert "Traceback" not in out.stderr


def test_user_invite_prints_a_single_use_link_and_sets_no_password(db, make_school, session):
    school = make_school()
    session.commit()
    out = run("user", "invite", "--email", "Kay@Example.org", "--name", "Kay Adult",
              "--site", "https://mat.example.org/", "--role", "staff", "--school", school.urn)
    assert out.exit_code == 0, out.output
    link = out.output.strip().splitlines()[-1]
    assert link.startswith("https://mat.example.org/invite/")
    from core.invitations import accept

    with db.transaction(SYSTEM) as s:
        u = s.scalar(select(User).where(User.email == "kay@example.org"))
        assert u.password_hash is None
        accept(s, link.rsplit("/", 1)[1], "kay's own long passphrase")
    out = run("user", "invite", "--email", "kay@example.org", "--name", "Kay Adult",
              "--site", "https://mat.example.org")
    assert out.exit_code == 2 and "email: kay@example.org has already set a password" in out.output
