"""term totals

Per-pupil totals over each school's terms and the holidays between them
(``attendance_terms``: the spans kept; ``attendance_term_counts``: each pupil's counts over
one), so the trust overview counts persistent and severe absence for fifty schools in SQL
from a few rows per pupil rather than a row per week. The spans of every year with stored
weeks are cut from the school's calendar and counted here, with the same code imports use
afterwards (``plugins.attendance.terms``).

Revision ID: att0003
Revises: att0002
Create Date: 2026-12-02 13:20:00
"""
from alembic import op
import sqlalchemy as sa
import core.db


revision = 'att0003'
down_revision = 'att0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attendance_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('term_start', sa.Date(), nullable=False),
    sa.Column('term_end', sa.Date(), nullable=False),
    sa.Column('counted_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_attendance_terms_school_id_schools')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_attendance_terms_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_terms')),
    sa.UniqueConstraint('school_id', 'term_start', name=op.f('uq_attendance_terms_school_id_term_start'))
    )
    with op.batch_alter_table('attendance_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_terms_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_terms_trust_id'), ['trust_id'], unique=False)

    op.create_table('attendance_term_counts',
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('term_start', sa.Date(), nullable=False),
    sa.Column('term_end', sa.Date(), nullable=False),
    sa.Column('possible', sa.Integer(), nullable=False),
    sa.Column('present', sa.Integer(), nullable=False),
    sa.Column('aea', sa.Integer(), nullable=False),
    sa.Column('authorised', sa.Integer(), nullable=False),
    sa.Column('unauthorised', sa.Integer(), nullable=False),
    sa.Column('late_before', sa.Integer(), nullable=False),
    sa.Column('late_after', sa.Integer(), nullable=False),
    sa.Column('not_possible', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['pupil_id', 'school_id'], ['pupils.id', 'pupils.school_id'], name=op.f('fk_attendance_term_counts_pupil_id_school_id_pupils')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_attendance_term_counts_school_id_schools')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_attendance_term_counts_trust_id_trusts')),
    sa.PrimaryKeyConstraint('pupil_id', 'term_start', name=op.f('pk_attendance_term_counts'))
    )
    with op.batch_alter_table('attendance_term_counts', schema=None) as batch_op:
        batch_op.create_index('ix_attendance_term_counts_school_term', ['school_id', 'term_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_term_counts_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_term_counts_trust_id'), ['trust_id'], unique=False)

    from plugins.attendance.terms import realign_school

    conn = op.get_bind()
    for (school_id,) in conn.execute(sa.text(
            "SELECT DISTINCT school_id FROM attendance_weeks ORDER BY school_id")).all():
        realign_school(conn, school_id, last_marked=False)  # att0004 adds and fills it


def downgrade() -> None:
    with op.batch_alter_table('attendance_term_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_term_counts_trust_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_term_counts_school_id'))
        batch_op.drop_index('ix_attendance_term_counts_school_term')
    op.drop_table('attendance_term_counts')
    with op.batch_alter_table('attendance_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_terms_trust_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_terms_school_id'))
    op.drop_table('attendance_terms')
