"""case search: FTS5 (trigram) on SQLite, a pg_trgm GIN index on PostgreSQL"""

from __future__ import annotations

from alembic import op

from storage.search_schema import FTS_TABLE, sqlite_fill, sqlite_triggers

revision: str = "0020"
down_revision: str | None = "0019"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(body, tokenize='trigram')")
        for statement in sqlite_triggers().values():
            op.execute(statement)
        op.execute(sqlite_fill())
        return
    # A trusted extension since PostgreSQL 13: the database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_cases_text_trgm ON cases USING gin (text gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in sqlite_triggers():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        return
    # The extension stays: something else in the database may use it.
    op.execute("DROP INDEX IF EXISTS ix_cases_text_trgm")
