"""outbox: rows deleted once sent (a message to someone who has just erased their data); on
SQLite, ids never reused (a worker may still hold the id of a row just deleted)
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"


def _rebuilt(**table_kwargs: Any) -> dict[str, Any]:
    """SQLite rebuilds the table to change it (and to make its ids AUTOINCREMENT);
    PostgreSQL's sequences never hand out an id twice already."""
    if op.get_bind().dialect.name != "sqlite":
        return {}
    return {"recreate": "always", "table_kwargs": table_kwargs}


def upgrade() -> None:
    with op.batch_alter_table("outbox", **_rebuilt(sqlite_autoincrement=True)) as batch:
        batch.add_column(
            sa.Column("forget", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", **_rebuilt()) as batch:
        batch.drop_column("forget")
