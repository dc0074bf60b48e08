"""Constants the training tests share (a uniquely named module: test folders are not
packages, so ``conftest`` is not a safe name to import from)."""
import datetime as dt

TODAY = dt.date(2026, 11, 24)
CSRF = "test-csrf-token"  # what tests/conftest.py's login_as puts in the session
