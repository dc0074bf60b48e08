"""Actions get an owner; DSL entries can carry files and a body map; concerns a body map.

``concern_entries.owner_id``: who is to do an action. ``attachments.entry_id``: the DSL entry a
file came with (none: the concern as recorded). ``body_map`` on concerns and entries: the marks
on a body outline (JSON). Columns are added, not rebuilt: on SQLite a rebuild of these tables
fails once other tables' foreign keys point at them, and the append-only triggers stay as they
are (adding a column updates no row).

Revision ID: c0006
Revises: c0005
"""
import sqlalchemy as sa
from alembic import op

revision = 'c0006'
down_revision = 'c0005'
branch_labels = None
depends_on = None


def _add_reference(table: str, column: str, target: str) -> None:
    """A nullable integer column referencing ``target.id``, its foreign key named by the
    naming convention. SQLite cannot add a constraint to a table, but can add a column that
    carries one."""
    name = f"fk_{table}_{column}_{target}"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
                   f"CONSTRAINT {name} REFERENCES {target} (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, target, [column], ['id'])
    op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade() -> None:
    _add_reference('concern_entries', 'owner_id', 'users')
    _add_reference('attachments', 'entry_id', 'concern_entries')
    op.add_column('concern_entries', sa.Column('body_map', sa.JSON(), nullable=True))
    op.add_column('concerns', sa.Column('body_map', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_index('ix_attachments_entry_id', table_name='attachments')
    op.drop_column('attachments', 'entry_id')
    op.drop_column('concerns', 'body_map')
    op.drop_column('concern_entries', 'body_map')
    op.drop_index('ix_concern_entries_owner_id', table_name='concern_entries')
    op.drop_column('concern_entries', 'owner_id')
