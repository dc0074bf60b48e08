"""registers a week per row

The marks move from a row per mark (``attendance_marks``) and a separate table of weekly counts
(``attendance_weekly_summaries``) to one row per pupil per week holding both
(``attendance_weeks``): a year's import writes a tenth of the rows and index entries. Every
stored mark and count is carried across, and downgrade carries them back.

Revision ID: att0002
Revises: att0001
Create Date: 2026-11-24 14:52:35.219905
"""
from alembic import op
import sqlalchemy as sa


revision = 'att0002'
down_revision = 'att0001'
branch_labels = None
depends_on = None



SLOTS = 14  # Monday AM .. Sunday PM


def _day(week_start: str, days: int, pg: bool) -> str:
    return f"{week_start} + {days}" if pg else f"date({week_start}, '+{days} days')"


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    op.create_table('attendance_weeks',
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('marks', sa.String(length=28), nullable=False),
    sa.Column('possible', sa.Integer(), nullable=False),
    sa.Column('present', sa.Integer(), nullable=False),
    sa.Column('aea', sa.Integer(), nullable=False),
    sa.Column('authorised', sa.Integer(), nullable=False),
    sa.Column('unauthorised', sa.Integer(), nullable=False),
    sa.Column('late_before', sa.Integer(), nullable=False),
    sa.Column('late_after', sa.Integer(), nullable=False),
    sa.Column('not_possible', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('length(marks) = 28', name=op.f('ck_attendance_weeks_marks_fourteen_sessions')),
    sa.PrimaryKeyConstraint('pupil_id', 'week_start', name=op.f('pk_attendance_weeks'))
    )
    with op.batch_alter_table('attendance_weeks', schema=None) as batch_op:
        batch_op.create_index('ix_attendance_weeks_school_week', ['school_id', 'week_start'], unique=False)

    _guard(pg, create=True)
    slots = " || ".join(
        f"COALESCE(MAX(CASE WHEN m.date = {_day('m.week_start', k // 2, pg)} AND m.session = "
        f"'{'AM' if k % 2 == 0 else 'PM'}' THEN substr(m.code || ' ', 1, 2) END), '  ')"
        for k in range(SLOTS))
    counts = ", ".join(f"COALESCE(s.{c}, 0)" for c in COUNTS)
    op.execute(
        f"INSERT INTO attendance_weeks (school_id, trust_id, pupil_id, week_start, marks, "
        f"{', '.join(COUNTS)}, batch_id) "
        f"SELECT m.school_id, m.trust_id, m.pupil_id, m.week_start, {slots}, {counts}, "
        f"MAX(m.batch_id) FROM attendance_marks m LEFT JOIN attendance_weekly_summaries s "
        f"ON s.pupil_id = m.pupil_id AND s.week_start = m.week_start "
        f"GROUP BY m.school_id, m.trust_id, m.pupil_id, m.week_start, "
        f"{', '.join('s.' + c for c in COUNTS)}")
    _old_guard(pg, create=False)
    with op.batch_alter_table('attendance_marks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_marks_school_date'))

    op.drop_table('attendance_marks')
    with op.batch_alter_table('attendance_weekly_summaries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_weekly_school_week'))
        batch_op.drop_index(batch_op.f('ix_attendance_weekly_summaries_school_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_weekly_summaries_trust_id'))

    op.drop_table('attendance_weekly_summaries')


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    op.create_table('attendance_weekly_summaries',
    sa.Column('id', sa.INTEGER(), nullable=False),
    sa.Column('pupil_id', sa.INTEGER(), nullable=False),
    sa.Column('week_start', sa.DATE(), nullable=False),
    sa.Column('possible', sa.INTEGER(), nullable=False),
    sa.Column('present', sa.INTEGER(), nullable=False),
    sa.Column('aea', sa.INTEGER(), nullable=False),
    sa.Column('authorised', sa.INTEGER(), nullable=False),
    sa.Column('unauthorised', sa.INTEGER(), nullable=False),
    sa.Column('late_before', sa.INTEGER(), nullable=False),
    sa.Column('late_after', sa.INTEGER(), nullable=False),
    sa.Column('not_possible', sa.INTEGER(), nullable=False),
    sa.Column('school_id', sa.INTEGER(), nullable=False),
    sa.Column('trust_id', sa.INTEGER(), nullable=False),
    sa.ForeignKeyConstraint(['pupil_id', 'school_id'], ['pupils.id', 'pupils.school_id'], name=op.f('fk_attendance_weekly_summaries_pupil_id_school_id_pupils')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_attendance_weekly_summaries_school_id_schools')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_attendance_weekly_summaries_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_weekly_summaries')),
    sa.UniqueConstraint('pupil_id', 'week_start', name=op.f('uq_attendance_weekly_summaries_pupil_id_week_start'))
    )
    with op.batch_alter_table('attendance_weekly_summaries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_weekly_summaries_trust_id'), ['trust_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_weekly_summaries_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_weekly_school_week'), ['school_id', 'week_start'], unique=False)

    op.create_table('attendance_marks',
    sa.Column('school_id', sa.INTEGER(), nullable=False),
    sa.Column('trust_id', sa.INTEGER(), nullable=False),
    sa.Column('pupil_id', sa.INTEGER(), nullable=False),
    sa.Column('date', sa.DATE(), nullable=False),
    sa.Column('session', sa.VARCHAR(length=2), nullable=False),
    sa.Column('code', sa.VARCHAR(length=2), nullable=False),
    sa.Column('week_start', sa.DATE(), nullable=False),
    sa.Column('batch_id', sa.INTEGER(), nullable=True),
    sa.CheckConstraint("session IN ('AM','PM')", name=op.f('ck_attendance_marks_session_am_pm')),
    sa.PrimaryKeyConstraint('pupil_id', 'date', 'session', name=op.f('pk_attendance_marks'))
    )
    with op.batch_alter_table('attendance_marks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_marks_school_date'), ['school_id', 'date'], unique=False)

    _old_guard(pg, create=True)
    for k in range(SLOTS):
        code = f"trim(substr(w.marks, {2 * k + 1}, 2))"
        op.execute(
            f"INSERT INTO attendance_marks (school_id, trust_id, pupil_id, date, session, code, "
            f"week_start, batch_id) SELECT w.school_id, w.trust_id, w.pupil_id, "
            f"{_day('w.week_start', k // 2, pg)}, '{'AM' if k % 2 == 0 else 'PM'}', {code}, "
            f"w.week_start, w.batch_id FROM attendance_weeks w WHERE {code} <> ''")
    op.execute(
        f"INSERT INTO attendance_weekly_summaries (school_id, trust_id, pupil_id, week_start, "
        f"{', '.join(COUNTS)}) SELECT school_id, trust_id, pupil_id, week_start, "
        f"{', '.join(COUNTS)} FROM attendance_weeks WHERE possible + not_possible > 0")
    _guard(pg, create=False)
    with op.batch_alter_table('attendance_weeks', schema=None) as batch_op:
        batch_op.drop_index('ix_attendance_weeks_school_week')

    op.drop_table('attendance_weeks')


COUNTS = ("possible", "present", "aea", "authorised", "unauthorised", "late_before",
          "late_after", "not_possible")
# A week's pupil must be at its school and stay there while it has marks: what a composite
# foreign key (pupil_id, school_id) -> pupils (id, school_id) guarantees, enforced by triggers.
# On PostgreSQL they are statement-level, so a bulk import checks all its rows with one join
# rather than one foreign-key lookup per row. A violation aborts the statement as the foreign
# key would (SQLSTATE 23503 on PostgreSQL).
_PG_GUARD = [
    """CREATE FUNCTION attendance_weeks_pupil_school() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM attendance_new_weeks n WHERE NOT EXISTS (
                SELECT 1 FROM pupils p WHERE p.id = n.pupil_id AND p.school_id = n.school_id))
        THEN
            RAISE EXCEPTION 'attendance_weeks: the pupil is not at the register''s school'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER attendance_weeks_pupil_school_insert AFTER INSERT ON attendance_weeks
    REFERENCING NEW TABLE AS attendance_new_weeks FOR EACH STATEMENT
    EXECUTE FUNCTION attendance_weeks_pupil_school()""",
    """CREATE TRIGGER attendance_weeks_pupil_school_update AFTER UPDATE ON attendance_weeks
    REFERENCING NEW TABLE AS attendance_new_weeks FOR EACH STATEMENT
    EXECUTE FUNCTION attendance_weeks_pupil_school()""",
    """CREATE FUNCTION attendance_pupils_keep_weeks() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM attendance_old_pupils o JOIN attendance_weeks w
                   ON w.pupil_id = o.id AND w.school_id = o.school_id
                   WHERE NOT EXISTS (SELECT 1 FROM pupils p
                                     WHERE p.id = o.id AND p.school_id = o.school_id))
        THEN
            RAISE EXCEPTION 'pupils: the pupil has register marks at this school'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER attendance_pupils_keep_weeks_delete AFTER DELETE ON pupils
    REFERENCING OLD TABLE AS attendance_old_pupils FOR EACH STATEMENT
    EXECUTE FUNCTION attendance_pupils_keep_weeks()""",
    """CREATE TRIGGER attendance_pupils_keep_weeks_update AFTER UPDATE ON pupils
    REFERENCING OLD TABLE AS attendance_old_pupils FOR EACH STATEMENT
    EXECUTE FUNCTION attendance_pupils_keep_weeks()""",
]
_SQLITE_GUARD = [
    """CREATE TRIGGER attendance_weeks_pupil_school_insert BEFORE INSERT ON attendance_weeks
    WHEN NOT EXISTS (SELECT 1 FROM pupils p WHERE p.id = NEW.pupil_id
                     AND p.school_id = NEW.school_id)
    BEGIN SELECT RAISE(ABORT, 'attendance_weeks: the pupil is not at the register''s school');
    END""",
    """CREATE TRIGGER attendance_weeks_pupil_school_update
    BEFORE UPDATE OF pupil_id, school_id ON attendance_weeks
    WHEN NOT EXISTS (SELECT 1 FROM pupils p WHERE p.id = NEW.pupil_id
                     AND p.school_id = NEW.school_id)
    BEGIN SELECT RAISE(ABORT, 'attendance_weeks: the pupil is not at the register''s school');
    END""",
    """CREATE TRIGGER attendance_pupils_keep_weeks_delete BEFORE DELETE ON pupils
    WHEN EXISTS (SELECT 1 FROM attendance_weeks w WHERE w.pupil_id = OLD.id
                 AND w.school_id = OLD.school_id)
    BEGIN SELECT RAISE(ABORT, 'pupils: the pupil has register marks at this school'); END""",
    """CREATE TRIGGER attendance_pupils_keep_weeks_update BEFORE UPDATE OF id, school_id ON pupils
    WHEN (NEW.id <> OLD.id OR NEW.school_id <> OLD.school_id) AND EXISTS (
        SELECT 1 FROM attendance_weeks w WHERE w.pupil_id = OLD.id
        AND w.school_id = OLD.school_id)
    BEGIN SELECT RAISE(ABORT, 'pupils: the pupil has register marks at this school'); END""",
]
_TRIGGERS = [("attendance_weeks", "attendance_weeks_pupil_school_insert"),
             ("attendance_weeks", "attendance_weeks_pupil_school_update"),
             ("pupils", "attendance_pupils_keep_weeks_delete"),
             ("pupils", "attendance_pupils_keep_weeks_update")]
_FUNCTIONS = ("attendance_weeks_pupil_school", "attendance_pupils_keep_weeks")


def _guard(pg: bool, create: bool) -> None:
    if create:
        for ddl in _PG_GUARD if pg else _SQLITE_GUARD:
            op.execute(ddl)
        return
    _drop(pg, _TRIGGERS, _FUNCTIONS)


def _drop(pg: bool, triggers, functions) -> None:
    for table, name in triggers:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if pg else ""))
    if pg:
        for name in functions:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def _old_guard(pg: bool, create: bool) -> None:
    """att0001's triggers on the per-mark table (its own DDL, loaded from that revision)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("att0001_initial_tables.py")
    spec = importlib.util.spec_from_file_location("attendance_att0001", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if create:
        for ddl in module._PG_GUARD if pg else module._SQLITE_GUARD:
            op.execute(ddl)
    else:
        _drop(pg, module._TRIGGERS, ("attendance_marks_pupil_school",
                                     "attendance_pupils_keep_marks"))
