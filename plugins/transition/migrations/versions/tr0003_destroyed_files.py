"""destruction of transfer files at the end of their retention

``transition_destroyed_files`` names the pupils whose transfer files (packages, bundles,
received files, imported documents) a destruction emptied (issue 14: retention). The
append-only triggers of those tables are recreated with one narrow exception, as the core's
c0013 did for concerns: an UPDATE that empties the content and changes nothing else, of a row
about a pupil the new table names for that school. DELETE and every other change stay refused.
One new table; triggers recreated; no table rebuilt.

Revision ID: tr0003
Revises: tr0002
Create Date: 2026-12-02 13:25:00
"""
import sqlalchemy as sa
from alembic import op

import core.db
from core.migrations.triggers import create_append_only_triggers

revision = 'tr0003'
down_revision = 'tr0002'
branch_labels = None
depends_on = None

_MARKED = ("EXISTS (SELECT 1 FROM transition_destroyed_files d {join} "
           "WHERE d.school_id = OLD.school_id AND {match})")
_BY_TRANSFER = ("JOIN transition_transfers t ON t.pupil_id = d.pupil_id "
                "AND t.school_id = d.school_id", "t.id = OLD.transfer_id")
# table -> ((join, match) finding its pupil's marker, {column: the empty value it takes})
GUARDED = {
    "transition_packages": (_BY_TRANSFER, {"content": "''", "covering_note": "''"}),
    "transition_bundles": (_BY_TRANSFER, {"data": None}),
    "transition_received_files": (("", "d.pupil_id = OLD.pupil_id"), {"content": "''"}),
    "transition_incoming_events": (
        ("JOIN transition_incoming i ON i.pupil_id = d.pupil_id AND i.school_id = d.school_id",
         "i.id = OLD.incoming_id"), {"data": "NULL"}),
}


def _allowed(bind, table: str) -> str:
    """The WHEN of an allowed UPDATE: the pupil is marked, the content empty, every other
    column as it was (compared as text in PostgreSQL, where json has no equality)."""
    (join, match), emptied = GUARDED[table]
    pg = bind.dialect.name == "postgresql"
    cast = "::text" if pg else ""
    same_op = "IS NOT DISTINCT FROM" if pg else "IS"
    parts = [_MARKED.format(join=join, match=match)]
    for column, empty in emptied.items():
        if empty is None:  # bytes: emptied, not nulled
            parts.append(f"length(NEW.{column}) = 0")
        elif empty == "NULL":
            parts.append(f"NEW.{column} IS NULL")
        else:
            parts.append(f"NEW.{column} = {empty}")
    columns = [c["name"] for c in sa.inspect(bind).get_columns(table)]
    parts += [f"NEW.{c}{cast} {same_op} OLD.{c}{cast}" for c in columns if c not in emptied]
    return " AND ".join(parts)


def upgrade() -> None:
    op.create_table(
        'transition_destroyed_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pupil_id', sa.Integer(), nullable=False),
        sa.Column('destroyed_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('trust_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['pupil_id', 'school_id'], ['pupils.id', 'pupils.school_id'],
                                name=op.f('fk_transition_destroyed_files_pupil_id_school_id_pupils')),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'],
                                name=op.f('fk_transition_destroyed_files_school_id_schools')),
        sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'],
                                name=op.f('fk_transition_destroyed_files_trust_id_trusts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transition_destroyed_files')),
    )
    for column in ('pupil_id', 'school_id', 'trust_id'):
        op.create_index(f'ix_transition_destroyed_files_{column}', 'transition_destroyed_files',
                        [column])
    bind = op.get_bind()
    for table in GUARDED:
        allowed = _allowed(bind, table)
        if bind.dialect.name == "postgresql":
            bind.exec_driver_sql(
                f"CREATE OR REPLACE FUNCTION mat_{table}_guard() RETURNS trigger AS $$ BEGIN "
                f"IF TG_OP = 'UPDATE' AND {allowed} THEN RETURN NEW; END IF; "
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
                f"WHEN NOT ({allowed}) "
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
    op.drop_table('transition_destroyed_files')
