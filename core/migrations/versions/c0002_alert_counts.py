"""Alerts: a count and the time last raised, so a standing alert is updated, not repeated.

Existing alerts were each raised once, at their ``created_at``. ``last_raised_at`` stays
nullable in the schema (the app always sets it): making it NOT NULL would rebuild the table on
SQLite, and with foreign keys on that rebuild fails once attendance signals point at alerts.

Revision ID: c0002
Revises: c0001
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = 'c0002'
down_revision = 'c0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('count', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('last_raised_at', core.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_alerts_last_raised_at'), ['last_raised_at'],
                              unique=False)
    op.execute('UPDATE alerts SET last_raised_at = created_at')


def downgrade():
    # plain DROP COLUMN (SQLite 3.35+), not a batch rebuild, for the foreign-key reason above
    op.drop_index(op.f('ix_alerts_last_raised_at'), table_name='alerts')
    op.drop_column('alerts', 'last_raised_at')
    op.drop_column('alerts', 'count')
