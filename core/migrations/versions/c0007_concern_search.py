"""Full-text search over concerns and their DSL entries

PostgreSQL: GIN indexes on the text search vectors the queries use (core.concern_search):
a concern's fact, child's words, opinion and location, and an entry's body, 'english'
configuration. The expressions are written out here, not imported, so this revision keeps
meaning what it meant; the queries must use the very same expressions to use the indexes.

SQLite: FTS5 tables over the same text (porter stemming, accents folded), with the rows'
ids as their rowids (external content: the text is not stored twice), kept by triggers on
insert (and on delete and update, which the append-only triggers refuse anyway) and filled
from the rows already there.

Revision ID: c0007
Revises: c0006
"""
from alembic import op

revision = 'c0007'
down_revision = 'c0006'
branch_labels = None
depends_on = None

TOKENIZE = "porter unicode61 remove_diacritics 2"
SEARCHED = {"concerns": ("concerns_search", ("fact", "child_words", "opinion", "location")),
            "concern_entries": ("concern_entries_search", ("body",))}
PG_INDEXES = {"concerns": "ix_concerns_search", "concern_entries": "ix_concern_entries_search"}


def _pg_vector(columns) -> str:
    return "to_tsvector('english'::regconfig, " + " || ' ' || ".join(columns) + ")"


def _sqlite_search(source: str, fts: str, columns) -> None:
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{source}', "
               f"content_rowid='id', tokenize='{TOKENIZE}')")
    op.execute(f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {source} BEGIN "
               f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END")
    op.execute(f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {source} BEGIN "
               f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END")
    op.execute(f"CREATE TRIGGER {fts}_update AFTER UPDATE ON {source} BEGIN "
               f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
               f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END")
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for source, (fts, columns) in SEARCHED.items():
        if dialect == "postgresql":
            op.execute(f"CREATE INDEX {PG_INDEXES[source]} ON {source} "
                       f"USING gin ({_pg_vector(columns)})")
        elif dialect == "sqlite":
            _sqlite_search(source, fts, columns)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for source, (fts, _columns) in SEARCHED.items():
        if dialect == "postgresql":
            op.execute(f"DROP INDEX IF EXISTS {PG_INDEXES[source]}")
        elif dialect == "sqlite":
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{event}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
