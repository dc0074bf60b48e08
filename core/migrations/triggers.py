"""Database triggers that make records append-only below the ORM."""
from __future__ import annotations

APPEND_ONLY_TABLES = ("concerns", "concern_pupils", "concern_category_links", "attachments",
                      "concern_entries", "audit_entries")


def create_append_only_triggers(bind, tables=APPEND_ONLY_TABLES) -> None:
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION mat_refuse_change() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'append-only table %%: %% refused', TG_TABLE_NAME, TG_OP; "
            "END; $$ LANGUAGE plpgsql")
        for t in tables:
            bind.exec_driver_sql(
                f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
                f"FOR EACH ROW EXECUTE FUNCTION mat_refuse_change()")
    elif bind.dialect.name == "sqlite":
        for t in tables:
            for op in ("UPDATE", "DELETE"):
                bind.exec_driver_sql(
                    f"CREATE TRIGGER {t}_no_{op.lower()} BEFORE {op} ON {t} "
                    f"BEGIN SELECT RAISE(ABORT, 'append-only table {t}: {op} refused'); END")


def drop_append_only_triggers(bind, tables=APPEND_ONLY_TABLES) -> None:
    for t in tables:
        if bind.dialect.name == "postgresql":
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}")
        elif bind.dialect.name == "sqlite":
            for op in ("update", "delete"):
                bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {t}_no_{op}")
