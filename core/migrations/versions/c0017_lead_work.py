"""The trust lead's workspace (issue 16): ``board_narratives`` (each save of a term's board
report narrative), ``board_report_snapshots`` (a term's figures as prepared in the
background), ``case_studies`` and ``case_study_versions`` (a de-identified draft and every
edit of it). New tables only; narratives, snapshots and versions are append-only below the
ORM too.

Revision ID: c0017
Revises: c0016
"""
import sqlalchemy as sa
from alembic import op

import core.db
from core.migrations.triggers import create_append_only_triggers, drop_append_only_triggers

revision = 'c0017'
down_revision = 'c0016'
branch_labels = None
depends_on = None

APPEND_ONLY = ('board_narratives', 'board_report_snapshots', 'case_study_versions')


def _fk(table, cols, target, target_cols):
    return sa.ForeignKeyConstraint(
        cols, [f'{target}.{c}' for c in target_cols],
        name=op.f(f"fk_{table}_{'_'.join(cols)}_{target}"))


def upgrade() -> None:
    op.create_table(
        'board_narratives',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('term_start', sa.Date(), nullable=False),
        sa.Column('term_name', sa.String(length=60), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('saved_by_id', sa.Integer(), nullable=True),
        sa.Column('saved_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('trust_id', sa.Integer(), nullable=False),
        _fk('board_narratives', ['saved_by_id'], 'users', ['id']),
        _fk('board_narratives', ['trust_id'], 'trusts', ['id']),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_board_narratives')),
    )
    for column in ('term_start', 'trust_id'):
        op.create_index(f'ix_board_narratives_{column}', 'board_narratives', [column])
    op.create_table(
        'board_report_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('term_start', sa.Date(), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.Column('made_by_id', sa.Integer(), nullable=True),
        sa.Column('made_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('trust_id', sa.Integer(), nullable=False),
        _fk('board_report_snapshots', ['made_by_id'], 'users', ['id']),
        _fk('board_report_snapshots', ['trust_id'], 'trusts', ['id']),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_board_report_snapshots')),
    )
    for column in ('term_start', 'trust_id'):
        op.create_index(f'ix_board_report_snapshots_{column}', 'board_report_snapshots',
                        [column])
    op.create_table(
        'case_studies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pupil_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('trust_id', sa.Integer(), nullable=False),
        _fk('case_studies', ['created_by_id'], 'users', ['id']),
        _fk('case_studies', ['pupil_id', 'school_id'], 'pupils', ['id', 'school_id']),
        _fk('case_studies', ['school_id'], 'schools', ['id']),
        _fk('case_studies', ['trust_id'], 'trusts', ['id']),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_studies')),
        sa.UniqueConstraint('id', 'school_id', name=op.f('uq_case_studies_id_school_id')),
    )
    for column in ('pupil_id', 'school_id', 'trust_id'):
        op.create_index(f'ix_case_studies_{column}', 'case_studies', [column])
    op.create_table(
        'case_study_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_study_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('sections', sa.JSON(), nullable=False),
        sa.Column('reviewed', sa.Boolean(), nullable=False),
        sa.Column('saved_by_id', sa.Integer(), nullable=True),
        sa.Column('saved_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('trust_id', sa.Integer(), nullable=False),
        _fk('case_study_versions', ['case_study_id', 'school_id'], 'case_studies',
            ['id', 'school_id']),
        _fk('case_study_versions', ['saved_by_id'], 'users', ['id']),
        _fk('case_study_versions', ['school_id'], 'schools', ['id']),
        _fk('case_study_versions', ['trust_id'], 'trusts', ['id']),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_study_versions')),
        sa.UniqueConstraint('case_study_id', 'version',
                            name=op.f('uq_case_study_versions_case_study_id_version')),
    )
    for column in ('case_study_id', 'school_id', 'trust_id'):
        op.create_index(f'ix_case_study_versions_{column}', 'case_study_versions', [column])
    create_append_only_triggers(op.get_bind(), APPEND_ONLY)


def downgrade() -> None:
    drop_append_only_triggers(op.get_bind(), APPEND_ONLY)
    op.drop_table('case_study_versions')
    op.drop_table('case_studies')
    op.drop_table('board_report_snapshots')
    op.drop_table('board_narratives')
