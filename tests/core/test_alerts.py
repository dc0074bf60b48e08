"""Alerts: a standing condition about a pupil is one open alert per pupil and rule, updated
(count, latest) while it stays open; an event stays one alert per event key; and the unique key
keeps two transactions raising at once to one open alert (PostgreSQL)."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, column, insert, inspect, select, text
from sqlalchemy import table as sa_table

from core import alerts, pupils, schools
from core.calendar import LONDON
from core.db import SYSTEM, Database, UTCDateTime
from core.migrate import alembic_config, upgrade
from core.models import Alert, AuditEntry
from core.plugins import make_host
from core.schools import set_trust_setting


def _accumulation(session, pupil) -> list[Alert]:
    return list(session.scalars(select(Alert).where(
        Alert.kind == "concern_accumulation", Alert.pupil_id == pupil.id).order_by(Alert.id)))


def _recent(hours: int) -> dt.datetime:
    return dt.datetime.now(LONDON) - dt.timedelta(hours=hours)


@pytest.fixture
def school(session, make_school):
    sc = make_school()
    set_trust_setting(session, sc.trust_id, "concern_accumulation", {"count": 3, "days": 30})
    return sc


def test_many_concerns_past_the_threshold_are_one_alert_with_a_count(
        session, school, make_pupil, make_concern):
    pupil, other = make_pupil(school), make_pupil(school)
    made = [make_concern(school, [pupil], occurred_at=_recent(100 - i)) for i in range(20)]
    make_concern(school, [other], occurred_at=_recent(5))
    [alert] = _accumulation(session, pupil)
    assert alert.resolved_at is None and alert.dedupe_key == f"accumulation:{pupil.id}"
    assert alert.count == 18  # the 3rd concern raised it, each of the 17 after raised it again
    assert alert.concern_id == made[-1].id  # the newest
    assert alert.message.startswith("20 concerns in the last 30 days")
    assert alert.last_raised_at >= alert.created_at
    assert _accumulation(session, other) == []


def test_the_count_rises_while_the_alert_stays_open(session, school, make_pupil, make_concern):
    pupil = make_pupil(school)
    for i in range(3):
        make_concern(school, [pupil], occurred_at=_recent(50 - i))
    [alert] = _accumulation(session, pupil)
    first_id, first_raised = alert.id, alert.last_raised_at
    assert alert.count == 1
    newest = make_concern(school, [pupil], occurred_at=_recent(1))
    [alert] = _accumulation(session, pupil)
    assert (alert.id, alert.count, alert.concern_id) == (first_id, 2, newest.id)
    assert alert.last_raised_at >= first_raised


def test_resolved_then_fired_again_opens_a_second_alert(session, school, make_pupil,
                                                        make_concern):
    pupil = make_pupil(school)
    for i in range(4):
        make_concern(school, [pupil], occurred_at=_recent(50 - i))
    [first] = _accumulation(session, pupil)
    alerts.resolve(session, school.id, f"accumulation:{pupil.id}")
    later = make_concern(school, [pupil], occurred_at=_recent(1))
    old, new = _accumulation(session, pupil)
    assert old.id == first.id and old.resolved_at is not None and old.count == 2
    assert old.dedupe_key == f"accumulation:{pupil.id}@{old.id}"
    assert new.resolved_at is None and new.count == 1 and new.concern_id == later.id
    assert new.dedupe_key == f"accumulation:{pupil.id}"
    make_concern(school, [pupil], occurred_at=_recent(0))
    session.expire_all()
    assert [(a.id, a.count) for a in _accumulation(session, pupil)] == [(old.id, 2), (new.id, 2)]


def test_below_the_threshold_again_resolves_it(session, school, make_pupil, make_concern):
    """A check that finds fewer concerns than the rule asks resolves the standing alert; the
    next accumulation is a new alert."""
    pupil = make_pupil(school)
    for i in range(3):
        make_concern(school, [pupil], occurred_at=_recent(50 - i))
    set_trust_setting(session, school.trust_id, "concern_accumulation", {"count": 5, "days": 30})
    make_concern(school, [pupil], occurred_at=_recent(10))  # four: below five
    [first] = _accumulation(session, pupil)
    assert first.resolved_at is not None and first.count == 1
    make_concern(school, [pupil], occurred_at=_recent(5))
    assert [a.resolved_at is None for a in _accumulation(session, pupil)] == [False, True]


def test_read_then_raised_again_is_unread_and_the_reading_is_audited(
        session, school, make_pupil, make_concern, make_user):
    pupil = make_pupil(school)
    user, dsl = make_user("dsl", school=school)
    for i in range(3):
        make_concern(school, [pupil], occurred_at=_recent(50 - i))
    [alert] = _accumulation(session, pupil)
    alerts.mark_read(session, dsl, school.id, alert.id)
    read_at = alert.read_at
    assert alerts.list_alerts(session, dsl, school.id, read=False) == []
    make_concern(school, [pupil], occurred_at=_recent(1))
    [alert] = _accumulation(session, pupil)
    assert alert.read_at is None and alert.read_by_id is None and alert.count == 2
    assert [a.id for a in alerts.list_alerts(session, dsl, school.id, read=False)] == [alert.id]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "alert.reraised",
                                                    AuditEntry.object_id == str(alert.id)))
    assert entry.detail["was_read_by_id"] == user.id and entry.detail["count"] == 2
    assert dt.datetime.fromisoformat(entry.detail["was_read_at"]) == read_at


def test_raised_again_it_comes_first_in_the_list(session, school, make_pupil, make_user):
    pupil = make_pupil(school)
    _, dsl = make_user("dsl", school=school)
    standing, _ = alerts.raise_standing_alert(session, school.id, "rule", "First",
                                              f"rule:{pupil.id}", pupil_id=pupil.id)
    event, _ = alerts.raise_alert(session, school.id, "event", "Later event", "event-1")
    assert [a.id for a in alerts.list_alerts(session, dsl, school.id)] == [event.id, standing.id]
    alerts.raise_standing_alert(session, school.id, "rule", "Again", f"rule:{pupil.id}",
                                pupil_id=pupil.id)
    assert [a.id for a in alerts.list_alerts(session, dsl, school.id)] == [standing.id, event.id]
    assert standing.message == "Again" and standing.count == 2


def test_an_event_alert_is_still_one_per_event_key(session, school):
    a, new_a = alerts.raise_alert(session, school.id, "encompass", "Notification 1", "enc:1")
    again, new_again = alerts.raise_alert(session, school.id, "encompass", "Changed", "enc:1")
    b, new_b = alerts.raise_alert(session, school.id, "encompass", "Notification 2", "enc:2")
    assert (new_a, new_again, new_b) == (True, False, True)
    assert again.id == a.id and a.count == 1 and a.message == "Notification 1"
    assert b.id != a.id
    alerts.resolve(session, school.id, "enc:1")
    after, new_after = alerts.raise_alert(session, school.id, "encompass", "Replayed", "enc:1")
    assert after.id == a.id and not new_after and after.resolved_at is not None


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sets(st.integers(0, 2), min_size=1), max_size=12))
def test_at_most_one_open_accumulation_alert_per_pupil(session, school, make_pupil,
                                                       make_concern, concerns_about):
    """Any concerns about a few pupils (some about several at once): each pupil has one open
    accumulation alert once they reach three, its count the number of concerns that fired it
    and its concern their newest."""
    kids = [make_pupil(school) for _ in range(3)]
    seen = {k.id: [] for k in kids}
    for i, about in enumerate(concerns_about):
        c = make_concern(school, [kids[j] for j in sorted(about)],
                         occurred_at=_recent(len(concerns_about) - i))
        for j in about:
            seen[kids[j].id].append(c.id)
    for kid in kids:
        found = _accumulation(session, kid)
        n = len(seen[kid.id])
        if n < 3:
            assert found == []
            continue
        [alert] = found
        assert alert.resolved_at is None and alert.count == n - 2
        assert alert.concern_id == seen[kid.id][-1]


# --- two transactions at once (PostgreSQL's locking; SQLite has one writer) -----------------

@pytest.fixture
def own_db(database_factory, backend):
    """A database of its own, committed to for real (the test needs two connections)."""
    _, db = database_factory.create(backend)
    with db.transaction(SYSTEM) as s:
        trust = schools.create_trust(s, "Race")
        school = schools.create_school(s, trust.id, "765432", "Race School")
        pupil = pupils.add_pupil(s, None, school.id, first_name="Ada", last_name="Race",
                                 date_of_birth=dt.date(2016, 2, 1), year_group=4,
                                 on_roll_from=dt.date(2025, 9, 1))
    return db, school.id, pupil.id


def _race(db, school_id, pupil_id) -> tuple[list[bool], list[Alert]]:
    """Raise the same standing alert in two transactions, the second while the first is still
    open; returns whether each was new, and the school's alerts afterwards."""
    key = f"race:{pupil_id}"
    results = []
    first = db.session(SYSTEM)
    results.append(alerts.raise_standing_alert(first, school_id, "race", "one", key,
                                               pupil_id=pupil_id)[1])

    def second():
        with db.transaction(SYSTEM) as s:
            results.append(alerts.raise_standing_alert(s, school_id, "race", "two", key,
                                                       pupil_id=pupil_id)[1])

    t = threading.Thread(target=second)
    t.start()
    time.sleep(0.5)
    assert t.is_alive()  # waiting on the first transaction's row or key
    first.commit()
    first.close()
    t.join(10)
    assert not t.is_alive()
    with db.transaction(SYSTEM) as s:
        rows = list(s.scalars(select(Alert).where(Alert.school_id == school_id)
                              .order_by(Alert.id)))
        s.expunge_all()
    return results, rows


@pytest.mark.postgresql_only
def test_two_first_firings_at_once_make_one_alert(own_db):
    db, school_id, pupil_id = own_db
    results, rows = _race(db, school_id, pupil_id)
    assert results == [True, False]
    assert [(a.count, a.message, a.resolved_at) for a in rows] == [(2, "two", None)]


@pytest.mark.postgresql_only
def test_two_firings_of_an_open_alert_at_once_both_count(own_db):
    db, school_id, pupil_id = own_db
    with db.transaction(SYSTEM) as s:
        alerts.raise_standing_alert(s, school_id, "race", "zero", f"race:{pupil_id}")
    results, rows = _race(db, school_id, pupil_id)
    assert results == [False, False]
    assert [(a.count, a.message) for a in rows] == [(3, "two")]


@pytest.mark.postgresql_only
def test_two_firings_after_a_resolution_open_one_new_alert(own_db):
    db, school_id, pupil_id = own_db
    with db.transaction(SYSTEM) as s:
        old, _ = alerts.raise_standing_alert(s, school_id, "race", "zero", f"race:{pupil_id}")
        alerts.resolve(s, school_id, f"race:{pupil_id}")
    results, rows = _race(db, school_id, pupil_id)
    assert results == [True, False]
    assert [(a.id, a.count, a.resolved_at is None, a.dedupe_key) for a in rows] == [
        (old.id, 1, False, f"race:{pupil_id}@{old.id}"),
        (rows[1].id, 2, True, f"race:{pupil_id}")]


# --- the migration ---------------------------------------------------------------------------

def _insert(conn, table_name: str, /, **values) -> int:
    """A row written as the tables stood at c0001 (the models have moved on since)."""
    types = {dt.datetime: UTCDateTime(), dt.date: Date()}
    table = sa_table(table_name, *[column(k, types.get(type(v))) for k, v in values.items()],
                     column("id"))
    return conn.execute(insert(table).values(**values).returning(table.c.id)).scalar()


def test_migration_c0002_counts_existing_alerts_once_and_goes_back(database_factory, backend):
    """Upgrade and downgrade with an attendance signal pointing at an alert (a table rebuild
    on SQLite would fail on that foreign key)."""
    host = make_host()
    url = database_factory.url(backend)
    upgrade(url, "att0001", host=host)  # the core's c0001 and the attendance tables
    db = Database(url)
    database_factory.engines.append(db.engine)
    at = dt.datetime(2026, 3, 1, 9, tzinfo=dt.timezone.utc)
    with db.engine.begin() as conn:
        trust = _insert(conn, "trusts", name="Before", created_at=at)
        school = _insert(conn, "schools", trust_id=trust, urn="234567", name="Before School",
                         phase="primary", created_at=at)
        pupil = _insert(conn, "pupils", school_id=school, trust_id=trust, first_name="Ada",
                        last_name="Old", date_of_birth=dt.date(2016, 2, 1), gender="F",
                        year_group=4, on_roll_from=dt.date(2025, 9, 1), created_at=at)
        alert = _insert(conn, "alerts", school_id=school, trust_id=trust, plugin="attendance",
                        kind="x", message="Old alert", dedupe_key="old-1", created_at=at)
        _insert(conn, "attendance_signals", school_id=school, trust_id=trust, pupil_id=pupil,
                kind="lateness", dedupe_key="old-1", first_date=dt.date(2026, 2, 2),
                last_date=dt.date(2026, 2, 27), title="Late", detail="", alert_id=alert,
                created_at=at)
    upgrade(url, "c0002", host=host)
    with db.transaction(SYSTEM) as s:
        row = s.get(Alert, alert)
        assert (row.count, row.last_raised_at, row.created_at) == (1, at, at)
    cfg = alembic_config(url, host)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "core@-1")
    columns = {c["name"] for c in inspect(db.engine).get_columns("alerts")}
    assert "count" not in columns and "last_raised_at" not in columns
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT message FROM alerts")).scalar() == "Old alert"
        assert conn.execute(text("SELECT alert_id FROM attendance_signals")).scalar() == alert
