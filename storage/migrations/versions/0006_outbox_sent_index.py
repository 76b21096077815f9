"""outbox: index on sent_at, so a restarting worker finds the last minute's sends quickly"""

from __future__ import annotations

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"


def upgrade() -> None:
    op.create_index("ix_outbox_sent", "outbox", ["sent_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_sent", table_name="outbox")
