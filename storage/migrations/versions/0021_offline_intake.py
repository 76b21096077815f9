"""cases received offline: cases.received_on, and the invite links that bind them to a student"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0021"
down_revision: str | None = "0020"


# A plain ALTER, not a batch: rebuilding `cases` on SQLite would drop its search triggers.
def upgrade() -> None:
    op.add_column("cases", sa.Column("received_on", sa.Date(), nullable=True))
    op.create_table(
        "intake_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_intake_invites_case_id", "intake_invites", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_intake_invites_case_id", table_name="intake_invites")
    op.drop_table("intake_invites")
    op.drop_column("cases", "received_on")
