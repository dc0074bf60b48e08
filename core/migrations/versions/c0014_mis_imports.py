"""Pupils kept in step with the school's MIS (core.mis): the MIS's own id and former UPN of
each pupil (``pupil_mis_records``), the parents and carers it lists (``pupil_carers``), each
import with its preview report (``mis_imports``), saved CSV layouts (``mis_layouts``), rows
waiting for a person's decision (``mis_review_items``) and pupils a full file no longer lists
(``mis_leaver_checks``). Six new tables; nothing existing changes.

Revision ID: c0014
Revises: c0013
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = 'c0014'
down_revision = 'c0013'
branch_labels = None
depends_on = None

TABLES = ("mis_leaver_checks", "mis_review_items", "pupil_carers", "pupil_mis_records",
          "mis_layouts", "mis_imports")


def upgrade() -> None:
    op.create_table('mis_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('layout', sa.String(length=60), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('full', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('commit_requested', sa.Boolean(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.Column('job_id', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('committed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_mis_imports_created_by_id_users')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_mis_imports_school_id_schools')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_mis_imports_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mis_imports')),
    sa.UniqueConstraint('id', 'school_id', name=op.f('uq_mis_imports_id_school_id'))
    )
    with op.batch_alter_table('mis_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mis_imports_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mis_imports_trust_id'), ['trust_id'], unique=False)

    op.create_table('mis_layouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('date_format', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_mis_layouts_created_by_id_users')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_mis_layouts_school_id_schools')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_mis_layouts_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mis_layouts')),
    sa.UniqueConstraint('school_id', 'name', name=op.f('uq_mis_layouts_school_id_name'))
    )
    with op.batch_alter_table('mis_layouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mis_layouts_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mis_layouts_trust_id'), ['trust_id'], unique=False)

    op.create_table('pupil_mis_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('mis_id', sa.String(length=40), nullable=True),
    sa.Column('former_upn', sa.String(length=13), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['pupil_id', 'school_id'], ['pupils.id', 'pupils.school_id'], name=op.f('fk_pupil_mis_records_pupil_id_school_id_pupils')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_pupil_mis_records_school_id_schools')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_pupil_mis_records_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pupil_mis_records')),
    sa.UniqueConstraint('pupil_id', name=op.f('uq_pupil_mis_records_pupil_id')),
    sa.UniqueConstraint('school_id', 'mis_id', name=op.f('uq_pupil_mis_records_school_id_mis_id'))
    )
    with op.batch_alter_table('pupil_mis_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pupil_mis_records_pupil_id'), ['pupil_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pupil_mis_records_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pupil_mis_records_trust_id'), ['trust_id'], unique=False)

    op.create_table('pupil_carers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=20), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('relationship', sa.String(length=40), nullable=False),
    sa.Column('parental_responsibility', sa.Boolean(), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['pupil_id', 'school_id'], ['pupils.id', 'pupils.school_id'], name=op.f('fk_pupil_carers_pupil_id_school_id_pupils')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_pupil_carers_school_id_schools')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_pupil_carers_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pupil_carers'))
    )
    with op.batch_alter_table('pupil_carers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pupil_carers_pupil_id'), ['pupil_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pupil_carers_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pupil_carers_trust_id'), ['trust_id'], unique=False)

    op.create_table('mis_review_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=True),
    sa.Column('row_key', sa.String(length=300), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('row', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_mis_review_items_decided_by_id_users')),
    sa.ForeignKeyConstraint(['import_id', 'school_id'], ['mis_imports.id', 'mis_imports.school_id'], name=op.f('fk_mis_review_items_import_id_school_id_mis_imports')),
    sa.ForeignKeyConstraint(['pupil_id', 'school_id'], ['pupils.id', 'pupils.school_id'], name=op.f('fk_mis_review_items_pupil_id_school_id_pupils')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_mis_review_items_school_id_schools')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_mis_review_items_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mis_review_items'))
    )
    with op.batch_alter_table('mis_review_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mis_review_items_import_id'), ['import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mis_review_items_pupil_id'), ['pupil_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mis_review_items_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mis_review_items_trust_id'), ['trust_id'], unique=False)

    op.create_table('mis_leaver_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_mis_leaver_checks_decided_by_id_users')),
    sa.ForeignKeyConstraint(['import_id', 'school_id'], ['mis_imports.id', 'mis_imports.school_id'], name=op.f('fk_mis_leaver_checks_import_id_school_id_mis_imports')),
    sa.ForeignKeyConstraint(['pupil_id', 'school_id'], ['pupils.id', 'pupils.school_id'], name=op.f('fk_mis_leaver_checks_pupil_id_school_id_pupils')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_mis_leaver_checks_school_id_schools')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_mis_leaver_checks_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mis_leaver_checks'))
    )
    with op.batch_alter_table('mis_leaver_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mis_leaver_checks_import_id'), ['import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mis_leaver_checks_pupil_id'), ['pupil_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mis_leaver_checks_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mis_leaver_checks_trust_id'), ['trust_id'], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
