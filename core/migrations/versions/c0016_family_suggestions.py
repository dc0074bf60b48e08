"""Suggested family links from the MIS's data: ``family_suggestions`` (trust rows: a pair of
pupils sharing a parent or carer with parental responsibility, or an address, with the
evidence for each side) and ``family_suggestion_decisions`` (append-only: each confirmation or
dismissal with its reason). New tables only; row-level security covers them after the upgrade
like every table with a tenant column.

Revision ID: c0016
Revises: c0015
"""
import sqlalchemy as sa
from alembic import op

import core.db
from core.migrations.triggers import create_append_only_triggers, drop_append_only_triggers

revision = 'c0016'
down_revision = 'c0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'family_suggestions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pupil_id', sa.Integer(), nullable=False),
        sa.Column('related_pupil_id', sa.Integer(), nullable=False),
        sa.Column('pupil_school_id', sa.Integer(), nullable=False),
        sa.Column('related_school_id', sa.Integer(), nullable=False),
        sa.Column('evidence', sa.JSON(), nullable=False),
        sa.Column('evidence_key', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=True),
        sa.Column('suggested_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('changed_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('trust_id', sa.Integer(), nullable=False),
        sa.CheckConstraint('pupil_id < related_pupil_id',
                           name=op.f('ck_family_suggestions_ordered_pair')),
        sa.ForeignKeyConstraint(['link_id'], ['family_links.id'],
                                name=op.f('fk_family_suggestions_link_id_family_links')),
        sa.ForeignKeyConstraint(['pupil_id'], ['pupils.id'],
                                name=op.f('fk_family_suggestions_pupil_id_pupils')),
        sa.ForeignKeyConstraint(['related_pupil_id'], ['pupils.id'],
                                name=op.f('fk_family_suggestions_related_pupil_id_pupils')),
        sa.ForeignKeyConstraint(['pupil_school_id'], ['schools.id'],
                                name=op.f('fk_family_suggestions_pupil_school_id_schools')),
        sa.ForeignKeyConstraint(['related_school_id'], ['schools.id'],
                                name=op.f('fk_family_suggestions_related_school_id_schools')),
        sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'],
                                name=op.f('fk_family_suggestions_trust_id_trusts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_family_suggestions')),
        sa.UniqueConstraint('pupil_id', 'related_pupil_id',
                            name=op.f('uq_family_suggestions_pupil_id_related_pupil_id')),
    )
    for column in ('pupil_id', 'related_pupil_id', 'pupil_school_id', 'related_school_id',
                   'trust_id'):
        op.create_index(f'ix_family_suggestions_{column}', 'family_suggestions', [column])
    op.create_table(
        'family_suggestion_decisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('suggestion_id', sa.Integer(), nullable=False),
        sa.Column('decision', sa.String(length=12), nullable=False),
        sa.Column('for_school_id', sa.Integer(), nullable=True),
        sa.Column('relation', sa.String(length=20), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('evidence_key', sa.String(length=64), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('trust_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['suggestion_id'], ['family_suggestions.id'],
            name=op.f('fk_family_suggestion_decisions_suggestion_id_family_suggestions')),
        sa.ForeignKeyConstraint(['for_school_id'], ['schools.id'],
                                name=op.f('fk_family_suggestion_decisions_for_school_id_schools')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_family_suggestion_decisions_decided_by_id_users')),
        sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'],
                                name=op.f('fk_family_suggestion_decisions_trust_id_trusts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_family_suggestion_decisions')),
    )
    for column in ('suggestion_id', 'trust_id'):
        op.create_index(f'ix_family_suggestion_decisions_{column}',
                        'family_suggestion_decisions', [column])
    create_append_only_triggers(op.get_bind(), ('family_suggestion_decisions',))


def downgrade() -> None:
    drop_append_only_triggers(op.get_bind(), ('family_suggestion_decisions',))
    op.drop_table('family_suggestion_decisions')
    op.drop_table('family_suggestions')
