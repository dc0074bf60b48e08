"""Encrypted bundles for schools outside the trust, and the receipts that come back.

A bundle is a small JSON file: a clear header and the package sealed with AES-256-GCM. The key
comes from scrypt over a one-time passphrase the system generates (shown once, to be given by
another channel). The whole header is the associated data, so changing the format version,
either URN, the pupil's UPN hash or the creation time makes decryption fail. scrypt gives 64
bytes: the first half is the encryption key, the second a key for a check value (so a wrong
passphrase and a tampered file get different, clear errors) and for signing the receipt.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from plugins.transition.package import canonical, sha256

FORMAT = "mat-transition-bundle/1"
RECEIPT_FORMAT = "mat-transition-receipt/1"
SCRYPT = {"n": 2 ** 15, "r": 8, "p": 1}
MAX_SCRYPT_N = 2 ** 18
# no 0/O, 1/I/L: read aloud over the phone without mistakes
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CHECK = b"mat-transition key check"


class BundleError(Exception):
    """A bundle or receipt that must be refused; the message says why, in plain words."""


def new_passphrase(groups: int = 6) -> str:
    """A random passphrase of ``groups`` groups of 4 (about 118 bits), e.g. ``K7QM-...``."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(groups))


def _normalise(passphrase: str) -> bytes:
    return "".join(ch for ch in (passphrase or "").upper() if ch.isalnum()).encode()


def upn_hash(upn: str | None) -> str | None:
    return hashlib.sha256(upn.encode()).hexdigest() if upn else None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode(), validate=True)


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> tuple[bytes, bytes]:
    key = Scrypt(salt=salt, length=64, n=n, r=r, p=p).derive(_normalise(passphrase))
    return key[:32], key[32:]


def _check_value(mac_key: bytes) -> str:
    return hmac.new(mac_key, _CHECK, hashlib.sha256).hexdigest()[:16]


def seal(package: bytes, passphrase: str, *, sender_urn: str, destination_urn: str,
         upn: str | None, created_at: dt.datetime) -> tuple[bytes, dict, str]:
    """Encrypt a package. Returns the bundle file's bytes, its header and the receipt key
    (hex) the sender keeps to check the receipt."""
    salt, nonce = os.urandom(16), os.urandom(12)
    enc_key, mac_key = _derive(passphrase, salt, **SCRYPT)
    header = {
        "format": FORMAT, "sender_urn": sender_urn, "destination_urn": destination_urn,
        "upn_sha256": upn_hash(upn), "created_at": created_at.isoformat(),
        "kdf": {"name": "scrypt", **SCRYPT, "salt": _b64(salt)}, "nonce": _b64(nonce),
        "key_check": _check_value(mac_key),
    }
    ciphertext = AESGCM(enc_key).encrypt(nonce, package, canonical(header))
    return canonical({"header": header, "ciphertext": _b64(ciphertext)}), header, mac_key.hex()


def read_header(data: bytes) -> tuple[dict, bytes]:
    """The clear header and the ciphertext; :class:`BundleError` for anything else."""
    try:
        outer = json.loads(data)
        header, ciphertext = outer["header"], _unb64(outer["ciphertext"])
        kdf = header["kdf"]
        int(kdf["n"]), int(kdf["r"]), int(kdf["p"]), _unb64(kdf["salt"]), _unb64(header["nonce"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise BundleError("This is not a transfer bundle (the file is damaged or of another "
                          "kind).") from None
    if header.get("format") != FORMAT:
        raise BundleError(f"Unknown bundle format {header.get('format')!r}: this platform "
                          f"reads {FORMAT}.")
    n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
    # scrypt needs 128 * n * r bytes: cap it (256 MB) so a crafted header cannot exhaust memory
    if kdf.get("name") != "scrypt" or not (2 ** 10 <= n <= MAX_SCRYPT_N) or n & (n - 1) \
            or not (1 <= r <= 16) or not (1 <= p <= 4) or n * r > 2 ** 21:
        raise BundleError("The bundle's key settings are outside what this platform accepts.")
    return header, ciphertext


def open_bundle(data: bytes, passphrase: str) -> tuple[dict, bytes, bytes]:
    """Decrypt a bundle. Returns (header, package bytes, receipt key). A wrong passphrase and
    a file altered since it was sealed are refused with different messages."""
    header, ciphertext = read_header(data)
    kdf = header["kdf"]
    enc_key, mac_key = _derive(passphrase, _unb64(kdf["salt"]), int(kdf["n"]), int(kdf["r"]),
                               int(kdf["p"]))
    if not hmac.compare_digest(_check_value(mac_key), str(header.get("key_check", ""))):
        raise BundleError("Wrong passphrase: check it with the sending school's DSL (it was "
                          "given separately from the file).")
    try:
        package = AESGCM(enc_key).decrypt(_unb64(header["nonce"]), ciphertext, canonical(header))
    except InvalidTag:
        raise BundleError("This bundle has been altered since it was sealed and cannot be "
                          "trusted: ask the sending school to send it again.") from None
    return header, package, mac_key


def make_receipt(header: dict, package_sha256: str, bundle_sha256: str, mac_key: bytes, *,
                 receiving_school: str, received_by: str, received_at: dt.datetime) -> dict:
    """The receipt the receiving instance gives back: signed with the key both sides derived
    from the passphrase, and hashable (``receipt_sha256`` covers every other field)."""
    body = {
        "format": RECEIPT_FORMAT, "sender_urn": header["sender_urn"],
        "destination_urn": header["destination_urn"], "upn_sha256": header.get("upn_sha256"),
        "package_sha256": package_sha256, "bundle_sha256": bundle_sha256,
        "receiving_school": receiving_school, "received_by": received_by,
        "received_at": received_at.isoformat(),
    }
    body["signature"] = hmac.new(mac_key, canonical(body), hashlib.sha256).hexdigest()
    body["receipt_sha256"] = sha256(canonical(body))
    return body


def check_receipt(receipt: dict, receipt_key_hex: str) -> None:
    """Refuse a receipt that was not signed with this bundle's key or was changed."""
    if not isinstance(receipt, dict) or receipt.get("format") != RECEIPT_FORMAT:
        raise BundleError("This is not a transfer receipt.")
    body = {k: v for k, v in receipt.items() if k not in ("signature", "receipt_sha256")}
    expected = hmac.new(bytes.fromhex(receipt_key_hex), canonical(body),
                        hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, str(receipt.get("signature", ""))):
        raise BundleError("The receipt's signature does not match this bundle: it was changed, "
                          "or it is for another transfer.")
    whole = {k: v for k, v in receipt.items() if k != "receipt_sha256"}
    if receipt.get("receipt_sha256") != sha256(canonical(whole)):
        raise BundleError("The receipt's hash does not match its content.")
