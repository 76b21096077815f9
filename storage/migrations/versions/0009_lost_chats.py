"""chat_bindings: a binding the bot lost (removed from the chat, or the chat is gone)"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"


def upgrade() -> None:
    with op.batch_alter_table("chat_bindings") as batch:
        batch.add_column(
            sa.Column("lost_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("lost_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("chat_bindings") as batch:
        batch.drop_column("lost_reason")
        batch.drop_column("lost_at")
