"""job runs as a transactional outbox: dispatch, retry backoff, heartbeat, recurring ticks

Revision ID: c0003
Revises: c0002
Create Date: 2026-12-02 07:20:00
"""
from alembic import op
import sqlalchemy as sa
import core.db


revision = 'c0003'
down_revision = 'c0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatched_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('run_after', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('max_attempts', sa.Integer(), nullable=False, server_default='4'))
        batch_op.add_column(sa.Column('heartbeat_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('worker', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('recurring', sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f('ix_job_runs_recurring'), ['recurring'], unique=False)
    # jobs queued before this revision were handed to RQ when they were queued
    op.execute("UPDATE job_runs SET dispatched_at = enqueued_at WHERE status = 'queued'")
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.alter_column('max_attempts', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_runs_recurring'))
        batch_op.drop_column('recurring')
        batch_op.drop_column('worker')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('max_attempts')
        batch_op.drop_column('run_after')
        batch_op.drop_column('dispatched_at')
