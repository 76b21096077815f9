"""cases.level and the watching chat's card: college unions (校院两级)"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"

COLUMNS = ("watch_card_message_id", "watch_topic_id", "watch_chat_id", "level")


# Plain ALTERs, not a batch: rebuilding `cases` on SQLite would drop its search triggers.
def upgrade() -> None:
    op.add_column(
        "cases",
        sa.Column(
            "level",
            sqlmodel.sql.sqltypes.AutoString(),
            nullable=False,
            server_default="university",
        ),
    )
    op.add_column("cases", sa.Column("watch_chat_id", sa.BigInteger(), nullable=True))
    op.add_column("cases", sa.Column("watch_topic_id", sa.Integer(), nullable=True))
    op.add_column("cases", sa.Column("watch_card_message_id", sa.Integer(), nullable=True))
    op.create_index("ix_cases_level_college", "cases", ["level", "college_code"])


def downgrade() -> None:
    op.drop_index("ix_cases_level_college", table_name="cases")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite ≥ 3.35 drops a column without a rebuild (the FTS triggers stay).
        for column in COLUMNS:
            op.execute(f"ALTER TABLE cases DROP COLUMN {column}")
        return
    for column in COLUMNS:
        op.drop_column("cases", column)
