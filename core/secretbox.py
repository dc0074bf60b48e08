"""Authenticator secrets encrypted at rest: AES-GCM under a key held outside the database.

The key is ``MAT_TOTP_KEY`` (any string of at least 32 characters; the AES-256 key is its
SHA-256), else ``<instance>/totp.key``, written once with a random key; production requires
the variable. The secret's 20 bytes are sealed with a random 12-byte nonce and stored as the
URL-safe base64 of nonce, ciphertext and tag: exactly 64 characters, so the existing column
holds it without a migration (a plain secret is 32 base32 characters). A secret written before
encryption is still read, and is encrypted the next time it is used or by ``mat totp
rotate-key`` (which re-encrypts every secret, plain or under the old key, under a new one).
"""
from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED_LENGTH = 64  # base64 of 12 (nonce) + 20 (secret) + 16 (tag) bytes
AAD = b"mat totp secret"
_key: bytes | None = None


class SecretKeyError(ValueError):
    """A stored secret does not open under the key given (wrong key, or altered)."""


def derive(material: str | bytes) -> bytes:
    if isinstance(material, str):
        material = material.encode()
    return hashlib.sha256(material).digest()


def load_key(settings) -> bytes:
    given = getattr(settings, "totp_key", None) or os.environ.get("MAT_TOTP_KEY")
    if given:
        return derive(given)
    path = Path(settings.instance_path) / "totp.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return derive(path.read_text().strip())


def configure(settings) -> None:
    global _key
    _key = load_key(settings)


def the_key() -> bytes:
    if _key is None:  # a process that never started the runtime: read the environment
        from core.config import from_env

        configure(from_env())
    return _key


def is_encrypted(stored: str) -> bool:
    return len(stored) == SEALED_LENGTH


def seal(plain: str, key: bytes | None = None) -> str:
    raw = base64.b32decode(plain.upper() + "=" * (-len(plain) % 8))
    nonce = os.urandom(12)
    sealed = base64.urlsafe_b64encode(nonce + AESGCM(key or the_key()).encrypt(nonce, raw, AAD))
    return sealed.decode()


def open_(stored: str, key: bytes | None = None) -> str:
    """The plain base32 secret (a legacy plain one as it is)."""
    if not is_encrypted(stored):
        return stored
    blob = base64.urlsafe_b64decode(stored)
    try:
        raw = AESGCM(key or the_key()).decrypt(blob[:12], blob[12:], AAD)
    except Exception as exc:  # cryptography's InvalidTag
        raise SecretKeyError("an authenticator secret does not open under this key") from exc
    return base64.b32encode(raw).decode().rstrip("=")


def reseal(stored: str, old: bytes | None, new: bytes) -> str:
    """``stored`` (under ``old``, or plain) sealed under ``new``."""
    return seal(open_(stored, old), new)
