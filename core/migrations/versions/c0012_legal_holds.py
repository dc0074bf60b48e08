"""Retention: ``legal_holds`` keeps a pupil's records off the "due for review" list while a
hold (an inquiry's instruction, a claim) is in force. A new table only (nothing rebuilt).

Revision ID: c0012
Revises: c0011
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = 'c0012'
down_revision = 'c0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'legal_holds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pupil_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('set_by_id', sa.Integer(), nullable=True),
        sa.Column('set_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('lifted_at', core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('lifted_by_id', sa.Integer(), nullable=True),
        sa.Column('lift_reason', sa.String(length=500), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('trust_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['lifted_by_id'], ['users.id'],
                                name=op.f('fk_legal_holds_lifted_by_id_users')),
        sa.ForeignKeyConstraint(['pupil_id', 'school_id'], ['pupils.id', 'pupils.school_id'],
                                name=op.f('fk_legal_holds_pupil_id_school_id_pupils')),
        sa.ForeignKeyConstraint(['set_by_id'], ['users.id'],
                                name=op.f('fk_legal_holds_set_by_id_users')),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'],
                                name=op.f('fk_legal_holds_school_id_schools')),
        sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'],
                                name=op.f('fk_legal_holds_trust_id_trusts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_holds')),
    )
    for column in ('pupil_id', 'school_id', 'trust_id'):
        op.create_index(f'ix_legal_holds_{column}', 'legal_holds', [column])


def downgrade() -> None:
    op.drop_table('legal_holds')
