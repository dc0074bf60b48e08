"""deadlines recounted when the calendar changes

A notification's response deadline is counted again when the school's terms or closures
change (a notification on the last day of the terms entered waits for the next term). The
notification stays as it was received (append-only); each recount is a new row of
``encompass_deadlines``, append-only too, and the latest one is the deadline.

Revision ID: enc0002
Revises: enc0001
Create Date: 2026-12-02 10:30:00
"""
from alembic import op
import sqlalchemy as sa
import core.db
from core.migrations.triggers import create_append_only_triggers, drop_append_only_triggers

APPEND_ONLY = ("encompass_deadlines",)


revision = 'enc0002'
down_revision = 'enc0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('encompass_deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('due_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('counted_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['notification_id', 'school_id'], ['encompass_notifications.id', 'encompass_notifications.school_id'], name=op.f('fk_encompass_deadlines_notification_id_school_id_encompass_notifications')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_encompass_deadlines_school_id_schools')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_encompass_deadlines_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_encompass_deadlines'))
    )
    with op.batch_alter_table('encompass_deadlines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_encompass_deadlines_notification_id'), ['notification_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_encompass_deadlines_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_encompass_deadlines_trust_id'), ['trust_id'], unique=False)
    create_append_only_triggers(op.get_bind(), APPEND_ONLY)


def downgrade() -> None:
    drop_append_only_triggers(op.get_bind(), APPEND_ONLY)
    with op.batch_alter_table('encompass_deadlines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_encompass_deadlines_trust_id'))
        batch_op.drop_index(batch_op.f('ix_encompass_deadlines_school_id'))
        batch_op.drop_index(batch_op.f('ix_encompass_deadlines_notification_id'))
    op.drop_table('encompass_deadlines')
