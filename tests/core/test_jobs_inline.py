"""The inline job path (no Redis): runs now, records its outcome, skips a school with the
plugin off, and never drops a failure silently."""
from sqlalchemy import select

from core import jobs
from core.db import SYSTEM
from core.models import JobRun, TrustSetting

CALLS: list = []


def remember(value):
    CALLS.append(value)
    return {"value": value}


def explode(value):
    raise RuntimeError(f"boom {value}")


def write_setting(trust_id, key):
    from core.db import current_database
    from core.schools import set_trust_setting

    with current_database().transaction(SYSTEM) as s:
        set_trust_setting(s, trust_id, key, {"n": 1})


def test_inline_job_runs_and_is_recorded(db):
    jobs.configure(None)
    CALLS.clear()
    job_id = jobs.enqueue(remember, 7)
    assert CALLS == [7]
    run = jobs.job_status(job_id)
    assert (run.status, run.result, run.attempts) == ("done", {"value": 7}, 1)


def test_inline_failure_is_visible(db):
    jobs.configure(None)
    job_id = jobs.enqueue(explode, 3)
    run = jobs.job_status(job_id)
    assert run.status == "failed" and "boom 3" in run.error


def test_job_for_plugin_off_is_skipped(db, session, make_school, host):
    jobs.configure(None)
    name = host.names[0] if host.names else None
    school = make_school(plugins=[])
    session.commit()
    CALLS.clear()
    job_id = jobs.enqueue(remember, 1, school_id=school.id, plugin=name or "absent")
    assert CALLS == [] and jobs.job_status(job_id).status == "skipped"


def test_job_commits_its_own_work(db, session, make_trust):
    jobs.configure(None)
    trust = make_trust()
    session.commit()
    jobs.enqueue(write_setting, trust.id, "from_job")
    with db.session(SYSTEM) as s:
        assert s.scalar(select(TrustSetting.value).where(TrustSetting.key == "from_job")) == {"n": 1}


def test_jobs_refuse_non_json_arguments(db):
    import pytest

    with pytest.raises(TypeError):
        jobs.enqueue(remember, object())


def test_prune_forgets_old_finished_runs_and_keeps_failures_and_recent_ones(db):
    import datetime as dt

    from core import jobqueue
    from core.db import utcnow

    jobs.configure(None)
    old_done = jobs.enqueue(remember, 1)
    new_done = jobs.enqueue(remember, 2)
    old_failed = jobs.enqueue(explode, 3)
    ancient_failed = jobs.enqueue(explode, 4)
    with db.transaction(SYSTEM) as s:
        for job_id, days in ((old_done, 31), (old_failed, 200), (ancient_failed, 400)):
            s.get(JobRun, job_id).finished_at = utcnow() - dt.timedelta(days=days)
    assert jobqueue.prune() == 2
    with db.transaction(SYSTEM) as s:
        left = set(s.scalars(select(JobRun.id).where(JobRun.id.in_(
            [old_done, new_done, old_failed, ancient_failed]))))
    assert left == {new_done, old_failed}


def test_a_released_savepoint_is_not_the_commit_a_job_waits_for(db):
    """SQLAlchemy fires after_commit when a SAVEPOINT is released: a job recorded in the
    transaction must still wait for the real commit (the demo's mail job ran too early and
    found no row)."""
    jobs.configure(None)
    CALLS.clear()
    with db.session(SYSTEM) as s:
        job_id = jobs.enqueue(remember, 5, session=s)
        with s.begin_nested():
            pass
        assert CALLS == []
        s.commit()
    assert CALLS == [5] and jobs.job_status(job_id).status == "done"


def test_the_same_call_queued_in_two_transactions_of_one_session_runs_twice(db):
    jobs.configure(None)
    CALLS.clear()
    with db.session(SYSTEM) as s:
        first = jobs.enqueue_after_commit(s, remember, 9)
        assert jobs.enqueue_after_commit(s, remember, 9) == first  # once per transaction
        s.commit()
        second = jobs.enqueue_after_commit(s, remember, 9)
        s.commit()
    assert first != second and CALLS == [9, 9]
