"""A tombstone may be about someone other than a pupil: a plugin's records about a member of
staff (training records, six years after they left) are destroyed with the same tombstone,
whose ``pupil_id`` is then empty and whose summary names the person. One column made
nullable; nothing else changes.

Revision ID: c0018
Revises: c0017
"""
import sqlalchemy as sa
from alembic import op

revision = 'c0018'
down_revision = 'c0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('destructions', schema=None) as batch_op:
        batch_op.alter_column('pupil_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('destructions', schema=None) as batch_op:
        batch_op.alter_column('pupil_id', existing_type=sa.Integer(), nullable=False)
