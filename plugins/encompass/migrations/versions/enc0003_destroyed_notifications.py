"""destruction of notifications at the end of their retention

``encompass_destroyed_notifications`` names the notifications whose content a destruction
removed (issue 14: retention). The append-only triggers of notifications, their updates and
their steps are recreated with one narrow exception, as the core's c0013 did for concerns: an
UPDATE that blanks the content columns and changes nothing else, of a notification a row of
the new table names. DELETE and every other change stay refused. One new table; triggers
recreated; no table rebuilt.

Revision ID: enc0003
Revises: enc0002
Create Date: 2026-12-02 13:20:00
"""
import sqlalchemy as sa
from alembic import op

import core.db
from core.migrations.triggers import create_append_only_triggers

revision = 'enc0003'
down_revision = 'enc0002'
branch_labels = None
depends_on = None

_MARKED = ("EXISTS (SELECT 1 FROM encompass_destroyed_notifications d "
           "WHERE d.notification_id = {id})")
# table -> (its notification, the blanked content, the columns that hold it)
GUARDED = {
    "encompass_notifications": (
        "OLD.id", ("summary", "child_words", "incident_place", "officer_name",
                   "officer_contact", "link_reason"), {}),
    "encompass_updates": ("OLD.notification_id", (), {"changes": "{}", "children_added": "[]"}),
    "encompass_steps": ("OLD.notification_id", (), {"body": "", "support": "[]"}),
}


def _allowed(bind, table: str) -> str:
    """The WHEN of an allowed UPDATE: the notification is marked, the content blank, every
    other column as it was (compared as text: PostgreSQL's json has no equality)."""
    notification, nulled, emptied = GUARDED[table]
    pg = bind.dialect.name == "postgresql"
    cast = "::text" if pg else ""
    same_op = "IS NOT DISTINCT FROM" if pg else "IS"
    content = set(nulled) | set(emptied)
    columns = [c["name"] for c in sa.inspect(bind).get_columns(table)]
    parts = [_MARKED.format(id=notification)]
    parts += [f"NEW.{c} IS NULL" for c in nulled]
    parts += [f"NEW.{c}{cast} = '{v}'" for c, v in emptied.items()]
    parts += [f"NEW.{c}{cast} {same_op} OLD.{c}{cast}" for c in columns if c not in content]
    return " AND ".join(parts)


def upgrade() -> None:
    op.create_table(
        'encompass_destroyed_notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('destroyed_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('notification_id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('trust_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['notification_id', 'school_id'],
            ['encompass_notifications.id', 'encompass_notifications.school_id'],
            name=op.f('fk_encompass_destroyed_notifications_notification_id_school_id_'
                      'encompass_notifications')),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'],
                                name=op.f('fk_encompass_destroyed_notifications_school_id_schools')),
        sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'],
                                name=op.f('fk_encompass_destroyed_notifications_trust_id_trusts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_encompass_destroyed_notifications')),
        sa.UniqueConstraint('notification_id',
                            name=op.f('uq_encompass_destroyed_notifications_notification_id')),
    )
    for column in ('school_id', 'trust_id'):
        op.create_index(f'ix_encompass_destroyed_notifications_{column}',
                        'encompass_destroyed_notifications', [column])
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
    op.drop_table('encompass_destroyed_notifications')
