import pytest

from core.config import DEV_SECRET, from_env


def test_production_refuses_the_development_secret():
    with pytest.raises(RuntimeError, match="MAT_SECRET_KEY"):
        from_env({"MAT_ENV": "production"})
    with pytest.raises(RuntimeError, match="MAT_SECRET_KEY"):
        from_env({"MAT_ENV": "production", "MAT_SECRET_KEY": "short"})
    with pytest.raises(RuntimeError, match="MAT_AUDIT_KEY"):  # the audit log's key too
        from_env({"MAT_ENV": "production", "MAT_SECRET_KEY": "k" * 40,
                  "MAT_DATABASE_URL": "postgresql://x@h/db"})
    with pytest.raises(RuntimeError, match="MAT_TOTP_KEY"):  # and the authenticators' key
        from_env({"MAT_ENV": "production", "MAT_SECRET_KEY": "k" * 40,
                  "MAT_AUDIT_KEY": "a" * 40, "MAT_DATABASE_URL": "postgresql://x@h/db"})
    s = from_env({"MAT_ENV": "production", "MAT_SECRET_KEY": "k" * 40,
                  "MAT_AUDIT_KEY": "a" * 40, "MAT_TOTP_KEY": "t" * 40,
                  "MAT_DATABASE_URL": "postgresql://x@h/db"})
    assert s.production and s.secret_key != DEV_SECRET and s.audit_key == "a" * 40
    assert s.totp_key == "t" * 40


def test_defaults_need_no_redis_and_use_sqlite(tmp_path):
    s = from_env({"MAT_INSTANCE_PATH": str(tmp_path)})
    assert s.redis_url is None
    assert s.database_url == f"sqlite:///{(tmp_path / 'mat.sqlite3').resolve()}"


def test_bad_numbers_name_the_variable():
    with pytest.raises(RuntimeError, match="MAT_SMTP_PORT"):
        from_env({"MAT_SMTP_PORT": "twenty-five"})


def test_the_upload_limit_is_read_in_whole_megabytes(tmp_path):
    base = {"MAT_INSTANCE_PATH": str(tmp_path)}
    assert from_env(base).max_upload_mb == 64
    assert from_env({**base, "MAT_MAX_UPLOAD_MB": ""}).max_upload_mb == 64
    assert from_env({**base, "MAT_MAX_UPLOAD_MB": "200"}).max_upload_mb == 200
    assert from_env({**base, "MAT_MAX_UPLOAD_MB": "1"}).max_upload_mb == 1


@pytest.mark.parametrize("bad", ["0", "-5", "1.5", "64MB", "lots"])
def test_a_bad_upload_limit_refuses_to_start_naming_the_variable(tmp_path, bad):
    with pytest.raises(RuntimeError, match="MAT_MAX_UPLOAD_MB"):
        from_env({"MAT_INSTANCE_PATH": str(tmp_path), "MAT_MAX_UPLOAD_MB": bad})
