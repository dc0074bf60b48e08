"""Job functions for the real-worker tests (importable by the ``rq worker`` subprocess)."""
from __future__ import annotations

from sqlalchemy import select

from core.db import SYSTEM, current_database
from core.models import TrustSetting
from core.jobs import current_job


def count_up(trust_id: int) -> dict:
    """Idempotent: sets a counter row; running twice leaves one row."""
    from core.schools import set_trust_setting, trust_setting

    with current_database().transaction(SYSTEM) as s:
        value = trust_setting(s, trust_id, "worker_test", {"runs": 0})
        set_trust_setting(s, trust_id, "worker_test", {"runs": value["runs"] + 1})
    current_job().progress(1, 1, "counted")
    return {"ok": True}


def fail_until(trust_id: int, succeed_on: int) -> dict:
    """Fails until its own attempt number reaches ``succeed_on`` (counts in the database)."""
    from core.schools import set_trust_setting, trust_setting

    with current_database().transaction(SYSTEM) as s:
        n = trust_setting(s, trust_id, "attempts", {"n": 0})["n"] + 1
        set_trust_setting(s, trust_id, "attempts", {"n": n})
    if n < succeed_on:
        raise RuntimeError(f"attempt {n} fails on purpose")
    return {"attempt": n}


def runs(trust_id: int, key: str) -> dict:
    with current_database().transaction(SYSTEM) as s:
        row = s.scalar(select(TrustSetting).where(TrustSetting.trust_id == trust_id,
                                                   TrustSetting.key == key))
        return dict(row.value) if row else {}
