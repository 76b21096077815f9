"""Join the delivery, deadlines and proposals branches, developed side by side from 0001."""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | Sequence[str] | None = ("0002", "0003", "0004")


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
