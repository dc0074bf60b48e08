"""People and how they sign in: users, roles, argon2 passwords, TOTP second factors,
recovery codes, API tokens and the login rate limit."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from core import audit, secretbox
from core.db import system_scope, utcnow
from core.errors import ValidationError
from core.models import (
    ApiToken,
    LoginAttempt,
    Membership,
    RecoveryCode,
    School,
    TotpDevice,
    Trust,
    User,
)
from core.models.people import SCHOOL_ROLES, TRUST_ROLES

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 12
TOKEN_TOUCH_EVERY = dt.timedelta(seconds=60)
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _stored_hash(user: User) -> str | None:
    """The person's hash, read as the system: the tenant database role may not read the
    column (core.rls.SECRET_COLUMNS), whatever the session's scope."""
    session = object_session(user)
    if session is None or "password_hash" in user.__dict__:
        return user.__dict__.get("password_hash")
    with system_scope(session, "check a password"):
        return session.scalar(select(User.password_hash).where(User.id == user.id))


def check_password(user: User, password: str) -> bool:
    stored = _stored_hash(user)
    if not stored:
        _hasher.hash(password)  # same cost whether or not the account has a password
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def waiting_for_password(session: Session, user_ids) -> set[int]:
    """Of ``user_ids``, those who have not set a password yet (invited, link not used): all an
    admin page needs to know of the hashes, read as the system."""
    ids = list(user_ids)
    if not ids:
        return set()
    with system_scope(session, "who has not set a password yet"):
        return set(session.scalars(select(User.id).where(User.id.in_(ids),
                                                         User.password_hash.is_(None))))


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"must be at least {MIN_PASSWORD} characters"
    if password.lower() in ("password1234", "safeguarding", "123456789012"):
        return "is too easy to guess"
    return None


def create_user(session: Session, email: str, name: str, password: str | None) -> User:
    """Create a person. Email is their sign-in name; the password is argon2-hashed."""
    email = (email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    if not EMAIL_RE.match(email):
        errors["email"] = ["is not a valid email address"]
    elif session.scalar(select(User.id).where(User.email == email)):
        errors["email"] = [f"{email} already has an account"]
    if not (name or "").strip():
        errors["name"] = ["is required"]
    if password is not None and (problem := password_problem(password)):
        errors["password"] = [problem]
    if errors:
        raise ValidationError(errors)
    user = User(email=email, name=name.strip(),
                password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    audit.record(session, "user.created", object_type="user", object_id=user.id,
                 detail={"email": email})
    return user


def grant_role(session: Session, user_id: int, role: str, *, school_id: int | None = None,
               trust_id: int | None = None) -> Membership:
    """Give a role in a school (school roles) or across a trust (trust roles)."""
    if role in SCHOOL_ROLES:
        school = session.get(School, school_id) if school_id else None
        if school is None:
            raise ValidationError({"school": [f"role {role} needs an existing school"]})
        trust_id = school.trust_id
    elif role in TRUST_ROLES:
        if school_id is not None:
            raise ValidationError({"school": [f"role {role} is held across a trust, not a school"]})
        if trust_id is None or session.get(Trust, trust_id) is None:
            raise ValidationError({"trust": [f"role {role} needs an existing trust"]})
    else:
        raise ValidationError({"role": [f"unknown role {role!r}; one of "
                                        f"{', '.join(SCHOOL_ROLES + TRUST_ROLES)}"]})
    existing = session.scalar(select(Membership).where(
        Membership.user_id == user_id, Membership.role == role,
        Membership.trust_id == trust_id,
        Membership.school_id.is_(None) if school_id is None else Membership.school_id == school_id))
    if existing:
        return existing
    m = Membership(user_id=user_id, role=role, school_id=school_id, trust_id=trust_id)
    session.add(m)
    session.flush()
    audit.record(session, "role.granted", object_type="user", object_id=user_id,
                 school_id=school_id, trust_id=trust_id, detail={"role": role})
    return m


def revoke_role(session: Session, membership_id: int) -> None:
    m = session.get(Membership, membership_id)
    if m is None:
        raise ValidationError({"membership": ["no such role"]})
    audit.record(session, "role.revoked", object_type="user", object_id=m.user_id,
                 school_id=m.school_id, trust_id=m.trust_id, detail={"role": m.role})
    session.delete(m)
    session.flush()
    from core.websessions import end_for_user

    end_for_user(session, m.user_id, "role removed")  # the new roles apply from sign-in


# --- login rate limit -----------------------------------------------------------------------

def login_allowed(session: Session, email: str, ip: str, limit: int = 5,
                  window: dt.timedelta = dt.timedelta(minutes=15)) -> bool:
    """False once ``limit`` failed attempts for this email, or 4x that from this address,
    fall within ``window``."""
    since = utcnow() - window
    by_email = session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.email == email.lower(), LoginAttempt.at >= since,
        LoginAttempt.success.is_(False)))
    by_ip = session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.ip == ip, LoginAttempt.at >= since, LoginAttempt.success.is_(False)))
    return by_email < limit and by_ip < limit * 4


def note_login(session: Session, email: str, ip: str, success: bool) -> None:
    session.add(LoginAttempt(email=email.lower(), ip=ip, success=success))
    session.flush()


def authenticate(session: Session, email: str, password: str, ip: str = "",
                 limit: int = 5) -> User | None:
    """Check a password, counting the attempt. ``None`` for a wrong password, an unknown or
    inactive account, or when the rate limit is reached (callers say so)."""
    email = (email or "").strip().lower()
    if not login_allowed(session, email, ip, limit):
        return None
    user = session.scalar(select(User).where(User.email == email))
    ok = user is not None and user.active and check_password(user, password)
    if user is None:
        _hasher.hash(password)
    note_login(session, email, ip, ok)
    audit.record(session, "login.success" if ok else "login.failure", object_type="user",
                 object_id=user.id if user else "", detail={"email": email},
                 user_id=user.id if ok else None)
    return user if ok else None


def change_password(session: Session, user_id: int, current: str, new: str,
                    keep_session: str | None = None) -> None:
    """A person changes their own password (the current one first). Every other session of
    theirs ends: whoever else had it is signed out. Audited."""
    user = session.get(User, user_id)
    errors: dict[str, list[str]] = {}
    if user is None or not check_password(user, current or ""):
        errors["current_password"] = ["is not your current password"]
    if problem := password_problem(new or ""):
        errors["new_password"] = [problem]
    elif current and new == current:
        errors["new_password"] = ["must differ from the current one"]
    if errors:
        raise ValidationError(errors)
    user.password_hash = hash_password(new)
    audit.record(session, "password.changed", object_type="user", object_id=user_id,
                 user_id=user_id)
    from core.websessions import end_for_user

    end_for_user(session, user_id, "password changed", keep=keep_session)


# --- second factor --------------------------------------------------------------------------

def start_totp(session: Session, user_id: int, name: str) -> TotpDevice:
    """Create an unconfirmed authenticator; it counts once :func:`confirm_totp` succeeds."""
    if not (name or "").strip():
        raise ValidationError({"name": ["give the device a name, e.g. 'my phone'"]})
    device = TotpDevice(user_id=user_id, name=name.strip(),
                        secret=secretbox.seal(pyotp.random_base32()))
    session.add(device)
    session.flush()
    return device


def _sealed_secret(device: TotpDevice) -> str:
    """The stored (sealed) secret, read as the system: the tenant database role may not read
    the column, even of the person's own device (core.rls.SECRET_COLUMNS)."""
    session = object_session(device)
    if session is None or "secret" in device.__dict__:
        return device.__dict__["secret"]
    with system_scope(session, "open an authenticator"):
        return session.scalar(select(TotpDevice.secret).where(TotpDevice.id == device.id))


def plain_secret(device: TotpDevice) -> str:
    """The device's base32 secret, opened with the key held outside the database (shown once,
    while enrolling, for typing into an app)."""
    return secretbox.open_(_sealed_secret(device))


def provisioning_uri(device: TotpDevice, email: str, issuer: str = "MAT Safeguarding") -> str:
    return pyotp.TOTP(plain_secret(device)).provisioning_uri(name=email, issuer_name=issuer)


def _match_step(secret: str, code: str, at: dt.datetime) -> int | None:
    totp = pyotp.TOTP(secret)
    step = int(at.timestamp()) // 30
    for delta in (0, -1, 1):
        if secrets.compare_digest(totp.at((step + delta) * 30), code):
            return step + delta
    return None


def confirm_totp(session: Session, device_id: int, code: str) -> bool:
    device = session.get(TotpDevice, device_id)
    if device is None or device.confirmed_at is not None:
        return False
    step = _match_step(plain_secret(device), (code or "").strip(), utcnow())
    if step is None:
        return False
    device.confirmed_at = utcnow()
    device.last_used_step = step
    session.flush()
    audit.record(session, "mfa.device_added", object_type="user", object_id=device.user_id,
                 detail={"device": device.name}, user_id=device.user_id)
    return True


def reseal_totp_secrets(session: Session, old_key: bytes | None, new_key: bytes) -> int:
    """Encrypt every authenticator secret under ``new_key``: those under ``old_key`` (None:
    the configured key) and those still plain. Returns how many were rewritten; raises
    :class:`core.secretbox.SecretKeyError`, changing nothing, if one opens under neither."""
    devices = list(session.scalars(select(TotpDevice).order_by(TotpDevice.id)))
    sealed = [secretbox.reseal(_sealed_secret(d), old_key or secretbox.the_key(), new_key)
              for d in devices]
    for device, secret in zip(devices, sealed):
        device.secret = secret
    session.flush()
    if devices:
        audit.record(session, "mfa.secrets_resealed", detail={"devices": len(devices)})
    return len(devices)


def has_totp(session: Session, user_id: int) -> bool:
    return session.scalar(select(func.count()).select_from(TotpDevice).where(
        TotpDevice.user_id == user_id, TotpDevice.confirmed_at.is_not(None))) > 0


def verify_second_factor(session: Session, user_id: int, code: str) -> bool:
    """Accept a current TOTP code from any confirmed device (not one already used), or an
    unused recovery code, which is then spent."""
    code = (code or "").replace(" ", "").strip()
    now = utcnow()
    if code.isdigit() and len(code) == 6:
        for device in session.scalars(select(TotpDevice).where(
                TotpDevice.user_id == user_id, TotpDevice.confirmed_at.is_not(None))):
            step = _match_step(plain_secret(device), code, now)
            if step is not None and (device.last_used_step is None
                                     or step > device.last_used_step):
                device.last_used_step = step
                sealed = _sealed_secret(device)
                if not secretbox.is_encrypted(sealed):  # written before encryption
                    device.secret = secretbox.seal(sealed)
                session.flush()
                return True
        return False
    digest = _recovery_digest(code)
    for rc in session.scalars(select(RecoveryCode).where(
            RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))):
        if secrets.compare_digest(rc.code_hash, digest):
            rc.used_at = now
            session.flush()
            audit.record(session, "mfa.recovery_code_used", object_type="user",
                         object_id=user_id, user_id=user_id)
            return True
    return False


def _recovery_digest(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").lower().encode()).hexdigest()


def new_recovery_codes(session: Session, user_id: int, count: int = 10) -> list[str]:
    """Replace a user's recovery codes with ``count`` new ones, shown once."""
    for rc in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user_id)):
        session.delete(rc)
    codes = []
    for _ in range(count):
        raw = secrets.token_hex(5)
        code = f"{raw[:5]}-{raw[5:]}"
        codes.append(code)
        session.add(RecoveryCode(user_id=user_id, code_hash=_recovery_digest(code)))
    session.flush()
    audit.record(session, "mfa.recovery_codes_issued", object_type="user", object_id=user_id,
                 user_id=user_id)
    return codes


# --- API tokens -----------------------------------------------------------------------------

def create_token(session: Session, user_id: int, name: str = "",
                 days: int | None = 90) -> str:
    """Issue an API bearer token; only its hash is kept, so the token is shown once."""
    raw = "mat_" + secrets.token_urlsafe(32)
    expires = utcnow() + dt.timedelta(days=days) if days else None
    session.add(ApiToken(user_id=user_id, name=name, expires_at=expires,
                         token_hash=hashlib.sha256(raw.encode()).hexdigest()))
    session.flush()
    audit.record(session, "token.created", object_type="user", object_id=user_id,
                 detail={"name": name, "expires": expires.isoformat() if expires else None})
    return raw


def user_for_token(session: Session, raw: str) -> User | None:
    digest = hashlib.sha256((raw or "").encode()).hexdigest()
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    now = utcnow()
    if token is None or token.revoked_at or (token.expires_at and token.expires_at < now):
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_TOUCH_EVERY:
        token.last_used_at = now  # at most once a minute: not a write on every request
    return user
