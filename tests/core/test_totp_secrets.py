"""Authenticator secrets are encrypted at rest (AES-GCM, key outside the database), secrets
written before encryption still work and are encrypted on use, and the key can be rotated."""
import pyotp
import pytest
from click.testing import CliRunner
from sqlalchemy import text

from core import accounts, secretbox
from core.cli import cli
from core.config import Settings
from core.models import TotpDevice


def _stored(session, device_id):
    return session.execute(text("SELECT secret FROM totp_devices WHERE id = :i"),
                           {"i": device_id}).scalar()


def _code(session, device):
    return pyotp.TOTP(accounts.plain_secret(device)).now()


def test_the_database_holds_only_ciphertext(session, make_user, make_school):
    user, _ = make_user("dsl", make_school())
    device = accounts.start_totp(session, user.id, "phone")
    stored = _stored(session, device.id)
    plain = accounts.plain_secret(device)
    assert len(plain) == 32 and plain not in stored and secretbox.is_encrypted(stored)
    assert plain in accounts.provisioning_uri(device, user.email)
    assert accounts.confirm_totp(session, device.id, _code(session, device))
    assert accounts.has_totp(session, user.id)
    with pytest.raises(secretbox.SecretKeyError):  # another key opens nothing
        secretbox.open_(stored, secretbox.derive("another key of at least thirty-two chars"))


def test_a_secret_stored_plain_still_works_and_is_encrypted_on_use(session, make_user,
                                                                 make_school):
    user, _ = make_user("dsl", make_school())
    device = accounts.start_totp(session, user.id, "phone")
    plain = accounts.plain_secret(device)
    session.execute(text("UPDATE totp_devices SET secret = :p, confirmed_at = :at "
                         "WHERE id = :i"), {"p": plain, "i": device.id, "at": "2026-01-01"})
    session.expire_all()
    assert accounts.verify_second_factor(session, user.id, pyotp.TOTP(plain).now())
    stored = _stored(session, device.id)
    assert secretbox.is_encrypted(stored) and secretbox.open_(stored) == plain


def test_rotate_key_reencrypts_every_secret(db, session, make_user, make_school, monkeypatch):
    school = make_school()
    user, _ = make_user("dsl", school)
    sealed = accounts.start_totp(session, user.id, "phone")
    legacy = accounts.start_totp(session, user.id, "old phone")
    plains = {sealed.id: accounts.plain_secret(sealed), legacy.id: accounts.plain_secret(legacy)}
    session.execute(text("UPDATE totp_devices SET secret = :p WHERE id = :i"),
                    {"p": plains[legacy.id], "i": legacy.id})
    session.commit()
    new = "the-new-totp-key-held-outside-the-database-987654"
    runner = CliRunner()
    short = runner.invoke(cli, ["totp", "rotate-key", "--new", "short"], obj=object())
    assert short.exit_code != 0 and "32 characters" in short.output
    wrong = runner.invoke(cli, ["totp", "rotate-key", "--old", "w" * 40], obj=object(),
                          env={"MAT_TOTP_NEW_KEY": new})
    assert wrong.exit_code != 0 and "nothing was changed" in wrong.output
    assert _stored(session, legacy.id) == plains[legacy.id]
    done = runner.invoke(cli, ["totp", "rotate-key"], obj=object(),
                         env={"MAT_TOTP_NEW_KEY": new})
    assert done.exit_code == 0, done.output
    assert "authenticator secrets encrypted under the new key" in done.output
    new_key = secretbox.derive(new)
    for device_id, plain in plains.items():
        stored = _stored(session, device_id)
        assert secretbox.is_encrypted(stored) and secretbox.open_(stored, new_key) == plain
        with pytest.raises(secretbox.SecretKeyError):
            secretbox.open_(stored)  # the old key no longer opens it
    monkeypatch.setattr(secretbox, "_key", new_key)  # MAT_TOTP_KEY set to the new key
    device = session.get(TotpDevice, sealed.id)
    session.refresh(device)
    assert accounts.confirm_totp(session, device.id, pyotp.TOTP(plains[sealed.id]).now())


def test_the_key_file_when_no_variable_is_set(tmp_path, monkeypatch):
    monkeypatch.delenv("MAT_TOTP_KEY", raising=False)
    first = secretbox.load_key(Settings(instance_path=tmp_path))
    assert len(first) == 32 and secretbox.load_key(Settings(instance_path=tmp_path)) == first
    assert (tmp_path / "totp.key").stat().st_mode & 0o077 == 0
    assert secretbox.load_key(Settings(instance_path=tmp_path, totp_key="k" * 40)) \
        == secretbox.derive("k" * 40)
