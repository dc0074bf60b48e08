"""Family links can end; suggested links can be dismissed; agency contacts per pupil.

``family_links`` gains ``ended_on``, ``ended_by_id`` and ``end_reason`` (a link is ended, never
deleted). Columns are added, not rebuilt: on SQLite a rebuild fails once other tables' foreign
keys point at a table. ``family_suggestion_dismissals`` (trust rows: a pair of pupils the DSL
team said is not family) and ``agency_contacts`` (school rows, pinned to the pupil's school by
a composite key) are new; row-level security covers them after the upgrade like every table
with a tenant column.

Revision ID: c0008
Revises: c0007
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = 'c0008'
down_revision = 'c0007'
branch_labels = None
depends_on = None


def _add_reference(table: str, column: str, target: str) -> None:
    """A nullable integer column referencing ``target.id``, its foreign key named by the
    naming convention (SQLite can add a column that carries a constraint, not a constraint)."""
    name = f"fk_{table}_{column}_{target}"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
                   f"CONSTRAINT {name} REFERENCES {target} (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, target, [column], ['id'])


def upgrade() -> None:
    op.add_column('family_links', sa.Column('ended_on', sa.Date(), nullable=True))
    _add_reference('family_links', 'ended_by_id', 'users')
    op.add_column('family_links', sa.Column('end_reason', sa.String(length=200), nullable=True))

    op.create_table(
        'family_suggestion_dismissals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pupil_id', sa.Integer(), nullable=False),
        sa.Column('related_pupil_id', sa.Integer(), nullable=False),
        sa.Column('dismissed_by_id', sa.Integer(), nullable=True),
        sa.Column('dismissed_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('trust_id', sa.Integer(), nullable=False),
        sa.CheckConstraint('pupil_id < related_pupil_id',
                           name=op.f('ck_family_suggestion_dismissals_ordered_pair')),
        sa.ForeignKeyConstraint(['dismissed_by_id'], ['users.id'],
                                name=op.f('fk_family_suggestion_dismissals_dismissed_by_id_users')),
        sa.ForeignKeyConstraint(['pupil_id'], ['pupils.id'],
                                name=op.f('fk_family_suggestion_dismissals_pupil_id_pupils')),
        sa.ForeignKeyConstraint(['related_pupil_id'], ['pupils.id'],
                                name=op.f('fk_family_suggestion_dismissals_related_pupil_id_pupils')),
        sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'],
                                name=op.f('fk_family_suggestion_dismissals_trust_id_trusts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_family_suggestion_dismissals')),
        sa.UniqueConstraint('pupil_id', 'related_pupil_id',
                            name=op.f('uq_family_suggestion_dismissals_pupil_id_related_pupil_id')),
    )
    for column in ('pupil_id', 'related_pupil_id', 'trust_id'):
        op.create_index(f'ix_family_suggestion_dismissals_{column}',
                        'family_suggestion_dismissals', [column])

    op.create_table(
        'agency_contacts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pupil_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=30), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('organisation', sa.String(length=200), nullable=False),
        sa.Column('phone', sa.String(length=40), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('notes', sa.String(length=1000), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ended_by_id', sa.Integer(), nullable=True),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('trust_id', sa.Integer(), nullable=False),
        sa.CheckConstraint('end_date IS NULL OR end_date >= start_date',
                           name=op.f('ck_agency_contacts_contact_period')),
        sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'],
                                name=op.f('fk_agency_contacts_ended_by_id_users')),
        sa.ForeignKeyConstraint(['pupil_id', 'school_id'], ['pupils.id', 'pupils.school_id'],
                                name=op.f('fk_agency_contacts_pupil_id_school_id_pupils')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_agency_contacts_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'],
                                name=op.f('fk_agency_contacts_school_id_schools')),
        sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'],
                                name=op.f('fk_agency_contacts_trust_id_trusts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_contacts')),
    )
    for column in ('pupil_id', 'school_id', 'trust_id'):
        op.create_index(f'ix_agency_contacts_{column}', 'agency_contacts', [column])


def downgrade() -> None:
    op.drop_table('agency_contacts')
    op.drop_table('family_suggestion_dismissals')
    with op.batch_alter_table('family_links') as batch_op:
        batch_op.drop_column('end_reason')
        batch_op.drop_column('ended_by_id')
        batch_op.drop_column('ended_on')
