import pytest

from core.config import DEV_SECRET, from_env


def test_production_refuses_the_development_secret():
    with pytest.raises(RuntimeError, match="MAT_SECRET_KEY"):
        from_env({"MAT_ENV": "production"})
    with pytest.raises(RuntimeError, match="MAT_SECRET_KEY"):
        from_env({"MAT_ENV": "production", "MAT_SECRET_KEY": "short"})
    s = from_env({"MAT_ENV": "production", "MAT_SECRET_KEY": "k" * 40,
                  "MAT_DATABASE_URL": "postgresql://x@h/db"})
    assert s.production and s.secret_key != DEV_SECRET


def test_defaults_need_no_redis_and_use_sqlite(tmp_path):
    s = from_env({"MAT_INSTANCE_PATH": str(tmp_path)})
    assert s.redis_url is None
    assert s.database_url == f"sqlite:///{(tmp_path / 'mat.sqlite3').resolve()}"


def test_bad_numbers_name_the_variable():
    with pytest.raises(RuntimeError, match="MAT_SMTP_PORT"):
        from_env({"MAT_SMTP_PORT": "twenty-five"})
