"""pupils: a stored search key (names folded: no accents, case, apostrophes, hyphens, spaces)

Pupil search compares what people type with this key in SQL, the same on SQLite and
PostgreSQL, through an index on (school_id, search_key). Existing pupils are keyed here with the
same function the application uses (core.names.pupil_search_key). The column is added with a
server default of '' rather than rebuilt as NOT NULL without one: on SQLite a rebuild of
``pupils`` fails once other tables' foreign keys point at it.

Revision ID: c0005
Revises: c0004
"""
import sqlalchemy as sa
from alembic import op

from core.names import pupil_search_key

revision = 'c0005'
down_revision = 'c0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('pupils', sa.Column('search_key', sa.String(length=600), server_default='',
                                      nullable=False))
    op.create_index('ix_pupils_school_search_key', 'pupils', ['school_id', 'search_key'],
                    unique=False)
    conn = op.get_bind()
    pupils = sa.table('pupils', sa.column('id', sa.Integer), sa.column('first_name', sa.String),
                      sa.column('preferred_name', sa.String), sa.column('last_name', sa.String),
                      sa.column('search_key', sa.String))
    rows = conn.execute(sa.select(pupils.c.id, pupils.c.first_name, pupils.c.preferred_name,
                                  pupils.c.last_name)).all()
    keys = [{"pid": r.id, "key": pupil_search_key(r.first_name, r.preferred_name, r.last_name)}
            for r in rows]
    if keys:
        conn.execute(pupils.update().where(pupils.c.id == sa.bindparam("pid"))
                     .values(search_key=sa.bindparam("key")), keys)


def downgrade() -> None:
    op.drop_index('ix_pupils_school_search_key', table_name='pupils')
    op.drop_column('pupils', 'search_key')
