"""case_publications: shared concerns (我也遇到)"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.types import UTCDateTime

revision: str = "0026"
down_revision: str | None = "0025"


def upgrade() -> None:
    op.create_table(
        "case_publications",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("public_text", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("requested_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("drafted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("channel_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_case_publications_status", "case_publications", ["status"])
    op.create_index("ix_case_publications_published_at", "case_publications", ["published_at"])


def downgrade() -> None:
    op.drop_index("ix_case_publications_published_at", table_name="case_publications")
    op.drop_index("ix_case_publications_status", table_name="case_publications")
    op.drop_table("case_publications")
