"""pending_inputs: texts officers were asked for, awaited as replies to the bot's prompt"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0009"

_STR = sqlmodel.sql.sqltypes.AutoString
_TS = storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "pending_inputs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=True),
        sa.Column("action", _STR(), nullable=False),
        sa.Column("officer_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("prompt_row_id", sa.Integer(), nullable=False),
        sa.Column("status", _STR(), nullable=False),
        sa.Column("text", _STR(), nullable=True),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.Column("expires_at", _TS(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prompt_row_id"),
    )
    op.create_index("ix_pending_inputs_case_id", "pending_inputs", ["case_id"])
    op.create_index("ix_pending_inputs_chat_id", "pending_inputs", ["chat_id"])


def downgrade() -> None:
    op.drop_index("ix_pending_inputs_chat_id", table_name="pending_inputs")
    op.drop_index("ix_pending_inputs_case_id", table_name="pending_inputs")
    op.drop_table("pending_inputs")
