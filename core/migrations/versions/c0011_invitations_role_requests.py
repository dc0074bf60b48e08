"""Invitations (people set their own password) and role requests (a case-file role given by a
trust admin waits for the trust safeguarding lead). Two new tables; nothing rebuilt.

Revision ID: c0011
Revises: c0010
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = 'c0011'
down_revision = 'c0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'invitations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('expires_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('ended_at', core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_invitations_user_id_users')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_invitations_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash')),
    )
    op.create_index(op.f('ix_invitations_user_id'), 'invitations', ['user_id'])
    op.create_table(
        'role_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('at_school_id', sa.Integer(), nullable=True),
        sa.Column('requested_by_id', sa.Integer(), nullable=False),
        sa.Column('requested_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('trust_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_role_requests_user_id_users')),
        sa.ForeignKeyConstraint(['at_school_id'], ['schools.id'],
                                name=op.f('fk_role_requests_at_school_id_schools')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'],
                                name=op.f('fk_role_requests_requested_by_id_users')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_role_requests_decided_by_id_users')),
        sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'],
                                name=op.f('fk_role_requests_trust_id_trusts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_role_requests')),
    )
    op.create_index(op.f('ix_role_requests_user_id'), 'role_requests', ['user_id'])
    op.create_index(op.f('ix_role_requests_trust_id'), 'role_requests', ['trust_id'])


def downgrade() -> None:
    op.drop_table('role_requests')
    op.drop_table('invitations')
