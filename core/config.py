"""Configuration from ``MAT_*`` environment variables, with first-run defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEV_SECRET = "dev-secret-do-not-use-in-production"
UPLOAD_LIMIT_ERROR = "MAT_MAX_UPLOAD_MB must be a whole number of megabytes, at least 1 (got {!r})"


@dataclass
class Settings:
    env: str = "development"
    instance_path: Path = Path("instance")
    database_url: str = ""  # MAT_DATABASE_URL: what the app, workers and scheduler log in as
    # MAT_DATABASE_OWNER_URL: the role that owns the tables, for migrations (mat init) only;
    # unset: migrations use database_url (one role for both, e.g. SQLite or a first run)
    database_owner_url: str | None = None
    redis_url: str | None = None
    secret_key: str = DEV_SECRET
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "safeguarding@localhost"
    smtp_tls: bool = True
    session_minutes: int = 30  # idle: signed out after this long without a request
    session_max_hours: int = 12  # absolute: signed out this long after signing in, however active
    login_attempts_per_15_min: int = 5
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_upload_mb: int = 64  # the whole request body; bigger files go through the CLI
    queue_name: str = "mat"
    audit_key: str | None = None  # MAT_AUDIT_KEY; without it, <instance>/audit.key
    audit_checkpoints: Path | None = None  # MAT_AUDIT_CHECKPOINTS; default <instance>/...
    totp_key: str | None = None  # MAT_TOTP_KEY; without it, <instance>/totp.key
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.database_url:
            self.instance_path.mkdir(parents=True, exist_ok=True)
            self.database_url = f"sqlite:///{(self.instance_path / 'mat.sqlite3').resolve()}"

    @property
    def migration_url(self) -> str:
        """Where ``mat init`` migrates: the owner's URL when one is set."""
        return self.database_owner_url or self.database_url

    @property
    def checkpoint_file(self) -> Path:
        """Where ``mat audit checkpoint`` and the daily job append the chains' heads."""
        return self.audit_checkpoints or self.instance_path / "audit-checkpoints.jsonl"

    @property
    def production(self) -> bool:
        return self.env == "production"

    def check(self) -> None:
        """Refuse to run in production with the development secret or an unsafe key."""
        if self.production and (self.secret_key == DEV_SECRET or len(self.secret_key) < 32):
            raise RuntimeError(
                "MAT_SECRET_KEY: production mode needs a secret of at least 32 characters "
                "that is not the development default"
            )
        if self.production and (not self.audit_key or len(self.audit_key) < 32):
            raise RuntimeError(
                "MAT_AUDIT_KEY: production mode needs an audit key of at least 32 characters, "
                "kept outside the database (it keys the audit log's hash chains)")
        if self.production and (not self.totp_key or len(self.totp_key) < 32):
            raise RuntimeError(
                "MAT_TOTP_KEY: production mode needs a key of at least 32 characters, kept "
                "outside the database (it encrypts the authenticator secrets)")
        if isinstance(self.max_upload_mb, bool) or not isinstance(self.max_upload_mb, int) \
                or self.max_upload_mb < 1:
            raise RuntimeError(UPLOAD_LIMIT_ERROR.format(self.max_upload_mb))


def from_env(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from ``MAT_*`` variables (``environ`` defaults to ``os.environ``)."""
    e = os.environ if environ is None else environ
    try:
        port = int(e.get("MAT_SMTP_PORT", "587"))
        minutes = int(e.get("MAT_SESSION_MINUTES", "30"))
        max_hours = int(e.get("MAT_SESSION_MAX_HOURS", "12"))
    except ValueError as exc:
        raise RuntimeError("MAT_SMTP_PORT / MAT_SESSION_MINUTES / MAT_SESSION_MAX_HOURS must be "
                           f"whole numbers: {exc}")
    raw_upload = e.get("MAT_MAX_UPLOAD_MB") or "64"  # set but empty: the default
    try:
        upload_mb = int(raw_upload)
    except ValueError:
        raise RuntimeError(UPLOAD_LIMIT_ERROR.format(raw_upload)) from None
    settings = Settings(
        env=e.get("MAT_ENV", "development"),
        instance_path=Path(e.get("MAT_INSTANCE_PATH", "instance")),
        database_url=e.get("MAT_DATABASE_URL", ""),
        database_owner_url=e.get("MAT_DATABASE_OWNER_URL") or None,
        redis_url=e.get("MAT_REDIS_URL") or None,
        secret_key=e.get("MAT_SECRET_KEY", DEV_SECRET),
        smtp_host=e.get("MAT_SMTP_HOST") or None,
        smtp_port=port,
        smtp_user=e.get("MAT_SMTP_USER") or None,
        smtp_password=e.get("MAT_SMTP_PASSWORD") or None,
        smtp_from=e.get("MAT_SMTP_FROM", "safeguarding@localhost"),
        smtp_tls=e.get("MAT_SMTP_TLS", "1") not in ("0", "false", "no"),
        session_minutes=minutes,
        session_max_hours=max_hours,
        max_upload_mb=upload_mb,
        queue_name=e.get("MAT_QUEUE", "mat"),
        audit_key=e.get("MAT_AUDIT_KEY") or None,
        totp_key=e.get("MAT_TOTP_KEY") or None,
        audit_checkpoints=Path(e["MAT_AUDIT_CHECKPOINTS"]) if e.get("MAT_AUDIT_CHECKPOINTS")
        else None,
    )
    settings.check()
    return settings
