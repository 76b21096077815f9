"""mutes and held_messages: officers mute a student; what they send meanwhile is held"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0014"
down_revision: str | None = "0013"

_STR = sqlmodel.sql.sqltypes.AutoString
_TS = storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "mutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("until", _TS(timezone=True), nullable=False),
        sa.Column("reason", _STR(), nullable=False),
        sa.Column("officer_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.Column("notified_at", _TS(timezone=True), nullable=True),
        sa.Column("ended_at", _TS(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mutes_user_id", "mutes", ["user_id"])
    op.create_index("ix_mutes_due", "mutes", ["ended_at", "until"])
    op.create_table(
        "held_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mute_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["mute_id"], ["mutes.id"]),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_held_messages_mute_id", "held_messages", ["mute_id"])
    with op.batch_alter_table("case_events") as batch:
        batch.add_column(sa.Column("until", _TS(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_events") as batch:
        batch.drop_column("until")
    op.drop_index("ix_held_messages_mute_id", table_name="held_messages")
    op.drop_table("held_messages")
    op.drop_index("ix_mutes_due", table_name="mutes")
    op.drop_index("ix_mutes_user_id", table_name="mutes")
    op.drop_table("mutes")
