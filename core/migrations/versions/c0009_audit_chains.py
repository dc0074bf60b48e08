"""Audit entries join keyed chains: ``chain`` (per school, per school's reads, per trust, the
platform) and ``seq``, their place in it (see core.audit).

Lines already written stay as they are, in the chain ``legacy`` (the column's default fills
them without an UPDATE, which the append-only trigger would refuse) and are still checked
with their unkeyed link; new lines are keyed.

Revision ID: c0009
Revises: c0008
"""
import sqlalchemy as sa
from alembic import op

revision = 'c0009'
down_revision = 'c0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('audit_entries', sa.Column('chain', sa.String(length=80),
                                             server_default='legacy', nullable=False))
    op.add_column('audit_entries', sa.Column('seq', sa.Integer(), nullable=True))
    op.create_index('ix_audit_entries_chain_seq', 'audit_entries', ['chain', 'seq'],
                    unique=True)


def downgrade() -> None:
    op.drop_index('ix_audit_entries_chain_seq', table_name='audit_entries')
    op.drop_column('audit_entries', 'seq')
    op.drop_column('audit_entries', 'chain')
