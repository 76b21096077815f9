"""delivery engine: outbox lanes and the worker holding each claim"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("lane", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.create_index("ix_outbox_lane", "outbox", ["lane", "status"], unique=False)
    # Rows still to send get their lanes, so they keep their order under the new worker.
    op.execute(
        "UPDATE outbox SET lane = 'c' || chat_id "
        "WHERE chat_id IS NOT NULL AND status IN ('pending', 'sending')"
    )
    op.execute(
        "UPDATE outbox SET lane = 'k' || case_id "
        "WHERE chat_id IS NULL AND case_id IS NOT NULL AND status IN ('pending', 'sending')"
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_lane", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_by")
        batch.drop_column("lane")
