"""town_halls: a session called off (cancelled_at, cancel_reason)"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.types import UTCDateTime

revision: str = "0027"
down_revision: str | None = "0026"


# Plain ALTERs, not a batch (a rebuild is never needed to add a nullable column).
def upgrade() -> None:
    op.add_column(
        "town_halls", sa.Column("cancelled_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "town_halls",
        sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    )


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a column without a rebuild.
    for column in ("cancel_reason", "cancelled_at"):
        op.execute(f"ALTER TABLE town_halls DROP COLUMN {column}")
