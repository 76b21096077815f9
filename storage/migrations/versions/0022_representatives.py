"""representatives: 代提交 on cases (on_behalf, classmate_name) and college_follows (关注)"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0022"
down_revision: str | None = "0021"

_STR = sqlmodel.sql.sqltypes.AutoString
_TS = storage.types.UTCDateTime


# Plain ALTERs, not a batch: rebuilding `cases` on SQLite would drop its search triggers.
def upgrade() -> None:
    op.add_column(
        "cases",
        sa.Column("on_behalf", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("cases", sa.Column("classmate_name", _STR(), nullable=True))
    op.create_table(
        "college_follows",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id", "user_id"),
    )
    op.create_index("ix_college_follows_user_id", "college_follows", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_college_follows_user_id", table_name="college_follows")
    op.drop_table("college_follows")
    op.drop_column("cases", "classmate_name")
    op.drop_column("cases", "on_behalf")
