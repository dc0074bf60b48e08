"""The MIS's own id for a member of staff (``training_staff.mis_id``), so a staff import
recognises a person whose email or name changed; a nullable column and its index only.

Revision ID: trn0002
Revises: trn0001
"""
import sqlalchemy as sa
from alembic import op

revision = 'trn0002'
down_revision = 'trn0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('training_staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mis_id', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_training_staff_mis_id'), ['mis_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('training_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_staff_mis_id'))
        batch_op.drop_column('mis_id')
