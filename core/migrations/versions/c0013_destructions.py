"""Destruction at the end of retention: ``destructions`` (the tombstone: what, when, who,
under which rule) and ``destroyed_concerns`` (the concerns it covers). The append-only
triggers of concerns, their entries and their files are recreated with one narrow exception:
an UPDATE that blanks the content columns (and changes nothing else) of a concern named in
``destroyed_concerns``. DELETE stays refused. Two new tables; triggers recreated; no table
rebuilt.

Revision ID: c0013
Revises: c0012
"""
import sqlalchemy as sa
from alembic import op

import core.db
from core.migrations.triggers import create_append_only_triggers

revision = 'c0013'
down_revision = 'c0012'
branch_labels = None
depends_on = None

# table -> (the concern it belongs to, the blanked content, the columns that must not change)
GUARDED = {
    "concerns": ("OLD.id",
                 "NEW.fact = '' AND NEW.child_words = '' AND NEW.opinion = '' "
                 "AND NEW.location = '' AND NEW.body_map IS NULL",
                 ("id", "school_id", "trust_id", "recorded_by_id", "recorded_at",
                  "occurred_at", "source")),
    "concern_entries": ("OLD.concern_id", "NEW.body = '' AND NEW.body_map IS NULL",
                        ("id", "school_id", "trust_id", "concern_id", "kind", "author_id",
                         "created_at", "refers_to_id")),
    "attachments": ("OLD.concern_id", "NEW.filename = '' AND length(NEW.data) = 0",
                    ("id", "school_id", "trust_id", "concern_id", "uploaded_at",
                     "uploaded_by_id", "entry_id")),
}


def _allowed(table: str) -> str:
    concern, blank, fixed = GUARDED[table]
    same = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in fixed)
    return (f"EXISTS (SELECT 1 FROM destroyed_concerns d WHERE d.concern_id = {concern}) "
            f"AND {blank} AND {same}")


def _sqlite(allowed: str) -> str:
    return allowed.replace("IS NOT DISTINCT FROM", "IS")


def upgrade() -> None:
    op.create_table(
        'destructions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pupil_id', sa.Integer(), nullable=False),
        sa.Column('rule', sa.String(length=40), nullable=False),
        sa.Column('rule_years', sa.Integer(), nullable=False),
        sa.Column('review_date', sa.Date(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('destroyed_by_id', sa.Integer(), nullable=True),
        sa.Column('destroyed_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('trust_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['destroyed_by_id'], ['users.id'],
                                name=op.f('fk_destructions_destroyed_by_id_users')),
        sa.ForeignKeyConstraint(['pupil_id', 'school_id'], ['pupils.id', 'pupils.school_id'],
                                name=op.f('fk_destructions_pupil_id_school_id_pupils')),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'],
                                name=op.f('fk_destructions_school_id_schools')),
        sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'],
                                name=op.f('fk_destructions_trust_id_trusts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_destructions')),
    )
    for column in ('pupil_id', 'school_id', 'trust_id'):
        op.create_index(f'ix_destructions_{column}', 'destructions', [column])
    op.create_table(
        'destroyed_concerns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('destruction_id', sa.Integer(), nullable=False),
        sa.Column('concern_id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('trust_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['concern_id', 'school_id'],
                                ['concerns.id', 'concerns.school_id'],
                                name=op.f('fk_destroyed_concerns_concern_id_school_id_concerns')),
        sa.ForeignKeyConstraint(['destruction_id'], ['destructions.id'],
                                name=op.f('fk_destroyed_concerns_destruction_id_destructions')),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'],
                                name=op.f('fk_destroyed_concerns_school_id_schools')),
        sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'],
                                name=op.f('fk_destroyed_concerns_trust_id_trusts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_destroyed_concerns')),
        sa.UniqueConstraint('concern_id', name=op.f('uq_destroyed_concerns_concern_id')),
    )
    for column in ('destruction_id', 'school_id', 'trust_id'):
        op.create_index(f'ix_destroyed_concerns_{column}', 'destroyed_concerns', [column])
    bind = op.get_bind()
    for table in GUARDED:
        if bind.dialect.name == "postgresql":
            bind.exec_driver_sql(
                f"CREATE OR REPLACE FUNCTION mat_{table}_guard() RETURNS trigger AS $$ BEGIN "
                f"IF TG_OP = 'UPDATE' AND {_allowed(table)} THEN RETURN NEW; END IF; "
                f"RAISE EXCEPTION 'append-only table %%: %% refused', TG_TABLE_NAME, TG_OP; "
                f"END; $$ LANGUAGE plpgsql")
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            bind.exec_driver_sql(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION mat_{table}_guard()")
        elif bind.dialect.name == "sqlite":
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_update")
            bind.exec_driver_sql(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"WHEN NOT ({_sqlite(_allowed(table))}) "
                f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: UPDATE refused'); END")


def downgrade() -> None:
    bind = op.get_bind()
    for table in GUARDED:
        if bind.dialect.name == "postgresql":
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS mat_{table}_guard()")
        elif bind.dialect.name == "sqlite":
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_update")
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    create_append_only_triggers(bind, tuple(GUARDED))
    op.drop_table('destroyed_concerns')
    op.drop_table('destructions')
