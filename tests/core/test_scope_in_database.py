"""The scope a transaction runs with in PostgreSQL follows the session's scope without being
sent twice: a system transaction sends no role change, a tenant scope is set once, a system
block inside a tenant transaction gives the tenant role back, and a savepoint rolled back (which
undoes a role set inside it) never leaves a session running with another scope's rights."""
import pytest
from sqlalchemy import event, select, text

from core import rls
from core.db import SYSTEM, narrow_scope, system_scope
from core.models import Pupil

pytestmark = pytest.mark.postgresql_only


def _who(s) -> tuple[str, str]:
    return tuple(s.execute(text(
        "SELECT current_user, coalesce(current_setting('mat.schools', true), '')")).one())


@pytest.fixture
def sent(db):
    """The statements sent through a cursor while the test runs."""
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(db.engine, "before_cursor_execute", note)


def test_a_tenant_scope_is_set_once_and_given_back_after_a_system_block(
        db, make_school, make_pupil, make_user, sent):
    a, b = make_school(), make_school()
    make_pupil(a)
    other = make_pupil(b)
    _, staff = make_user("staff", a)
    with db.session(staff.scope()) as s:
        assert _who(s) == (rls.ROLE, str(a.id))
        assert s.execute(text("SELECT count(*) FROM pupils WHERE id = :i"),
                         {"i": other.id}).scalar() == 0
        with system_scope(s, "test: a trusted look-up"):
            assert _who(s)[0] != rls.ROLE
            assert s.execute(text("SELECT count(*) FROM pupils WHERE id = :i"),
                             {"i": other.id}).scalar() == 1
        assert _who(s) == (rls.ROLE, str(a.id))  # back behind the wall, settings intact
        assert s.execute(text("SELECT count(*) FROM pupils WHERE id = :i"),
                         {"i": other.id}).scalar() == 0
    roles = [x for x in sent if "ROLE" in x]
    # set on begin, left for the block, taken back after it: nothing more
    assert roles == [f"SET LOCAL ROLE {rls.ROLE}", "RESET ROLE", f"SET LOCAL ROLE {rls.ROLE}"]


def test_a_system_block_inside_a_system_transaction_sends_nothing(session, make_school, sent):
    make_school()
    session.commit()
    sent.clear()
    assert session.scalar(select(Pupil.id).limit(1)) is None
    with system_scope(session, "test: already the system"):
        session.scalar(select(Pupil.id).limit(1))
    assert not [x for x in sent if "ROLE" in x or "set_config" in x]


def test_a_savepoint_rolled_back_never_leaves_the_wrong_rights(db, make_school, make_pupil,
                                                               make_user):
    a, b = make_school(), make_school()
    make_pupil(a)
    other = make_pupil(b)
    _, staff = make_user("staff", a)

    # a tenant transaction lifts its scope inside a savepoint that is rolled back
    with db.session(staff.scope()) as s:
        assert _who(s)[0] == rls.ROLE
        nested = s.begin_nested()
        with system_scope(s, "test: lifted, then undone"):
            assert _who(s)[0] != rls.ROLE
        nested.rollback()
        assert _who(s) == (rls.ROLE, str(a.id))
        assert s.scalar(select(Pupil.id).where(Pupil.id == other.id)) is None

    # a system transaction narrows to a tenant inside a savepoint that is rolled back: the
    # database gave the system's rights back, and the session, still the tenant's, takes the
    # tenant's again before its next query rather than running with the system's
    with db.session(SYSTEM) as s:
        assert _who(s)[0] != rls.ROLE
        nested = s.begin_nested()
        narrow_scope(s, staff.scope())
        assert _who(s)[0] == rls.ROLE
        nested.rollback()
        assert _who(s) == (rls.ROLE, str(a.id))
        assert s.execute(text("SELECT count(*) FROM pupils WHERE id = :i"),
                         {"i": other.id}).scalar() == 0
