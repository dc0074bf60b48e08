"""Converging signals (core.signals): ``signal_firings`` (a rule matching one pupil's
indicators, append-only), ``signal_decisions`` (the DSL's decision and why, append-only) and
``signal_watermarks`` (each school's last evaluation, for the nightly run). Three new tables;
nothing existing changes.

Revision ID: c0015
Revises: c0014
"""
import sqlalchemy as sa
from alembic import op

import core.db
from core.migrations.triggers import create_append_only_triggers, drop_append_only_triggers

revision = 'c0015'
down_revision = 'c0014'
branch_labels = None
depends_on = None

APPEND_ONLY = ("signal_firings", "signal_decisions")


def _tenant_columns() -> list:
    return [sa.Column('school_id', sa.Integer(), nullable=False),
            sa.Column('trust_id', sa.Integer(), nullable=False)]


def _tenant_keys(table: str) -> list:
    return [sa.ForeignKeyConstraint(['school_id'], ['schools.id'],
                                    name=op.f(f'fk_{table}_school_id_schools')),
            sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'],
                                    name=op.f(f'fk_{table}_trust_id_trusts'))]


def upgrade() -> None:
    op.create_table(
        'signal_firings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pupil_id', sa.Integer(), nullable=False),
        sa.Column('rule', sa.String(length=60), nullable=False),
        sa.Column('pattern_key', sa.String(length=120), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('indicators', sa.JSON(), nullable=False),
        sa.Column('relatives', sa.JSON(), nullable=False),
        sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
        *_tenant_columns(),
        sa.ForeignKeyConstraint(['pupil_id', 'school_id'], ['pupils.id', 'pupils.school_id'],
                                name=op.f('fk_signal_firings_pupil_id_school_id_pupils')),
        *_tenant_keys('signal_firings'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signal_firings')),
        sa.UniqueConstraint('school_id', 'fingerprint',
                            name=op.f('uq_signal_firings_school_id_fingerprint')),
        sa.UniqueConstraint('id', 'school_id', name=op.f('uq_signal_firings_id_school_id')),
    )
    for col in ('pupil_id', 'pattern_key', 'school_id', 'trust_id'):
        op.create_index(op.f(f'ix_signal_firings_{col}'), 'signal_firings', [col])
    op.create_table(
        'signal_decisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('firing_id', sa.Integer(), nullable=False),
        sa.Column('pupil_id', sa.Integer(), nullable=False),
        sa.Column('pattern_key', sa.String(length=120), nullable=False),
        sa.Column('outcome', sa.String(length=30), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('review_on', sa.Date(), nullable=True),
        sa.Column('indicator_keys', sa.JSON(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_by_name', sa.String(length=200), nullable=False),
        sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=False),
        *_tenant_columns(),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_signal_decisions_decided_by_id_users')),
        sa.ForeignKeyConstraint(['firing_id', 'school_id'],
                                ['signal_firings.id', 'signal_firings.school_id'],
                                name=op.f('fk_signal_decisions_firing_id_school_id_signal_firings')),
        sa.ForeignKeyConstraint(['pupil_id', 'school_id'], ['pupils.id', 'pupils.school_id'],
                                name=op.f('fk_signal_decisions_pupil_id_school_id_pupils')),
        *_tenant_keys('signal_decisions'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signal_decisions')),
    )
    for col in ('firing_id', 'pupil_id', 'pattern_key', 'school_id', 'trust_id'):
        op.create_index(op.f(f'ix_signal_decisions_{col}'), 'signal_decisions', [col])
    op.create_table(
        'signal_watermarks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('evaluated_to', sa.Date(), nullable=False),
        sa.Column('ran_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('result', sa.JSON(), nullable=False),
        *_tenant_columns(),
        *_tenant_keys('signal_watermarks'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signal_watermarks')),
        sa.UniqueConstraint('school_id', name=op.f('uq_signal_watermarks_school_id')),
    )
    for col in ('school_id', 'trust_id'):
        op.create_index(op.f(f'ix_signal_watermarks_{col}'), 'signal_watermarks', [col])
    create_append_only_triggers(op.get_bind(), APPEND_ONLY)


def downgrade() -> None:
    drop_append_only_triggers(op.get_bind(), APPEND_ONLY)
    for table in ('signal_watermarks', 'signal_decisions', 'signal_firings'):
        op.drop_table(table)
