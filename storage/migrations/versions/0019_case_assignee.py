"""cases.assignee_id: the officer who answers for a case (认领 / 指派)"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"


# Plain ALTERs, not a batch: rebuilding `cases` on SQLite would drop its search triggers.
def upgrade() -> None:
    op.add_column("cases", sa.Column("assignee_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_cases_assignee_id", "cases", ["assignee_id"])


def downgrade() -> None:
    op.drop_index("ix_cases_assignee_id", table_name="cases")
    op.drop_column("cases", "assignee_id")
