"""span last marked

``attendance_terms.last_marked``: the last day of each span with a stored mark, kept on every
recount of the span (:func:`plugins.attendance.terms.count_span`). A period ending inside a
span with no mark after its end (the current term, read "to date") takes the span's totals
whole rather than its week rows (:mod:`plugins.attendance.totals`). Filled here for the spans
already stored.

Revision ID: att0004
Revises: att0003
Create Date: 2026-12-02 14:35:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'att0004'
down_revision = 'att0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attendance_terms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_marked', sa.Date(), nullable=True))

    from plugins.attendance.terms import as_date, mark_last_day

    conn = op.get_bind()
    for school_id, a, b in conn.execute(sa.text(
            "SELECT school_id, term_start, term_end FROM attendance_terms")).all():
        mark_last_day(conn, school_id, (as_date(a), as_date(b)))


def downgrade() -> None:
    with op.batch_alter_table('attendance_terms', schema=None) as batch_op:
        batch_op.drop_column('last_marked')
