"""digest indexes: events by action and time, cases by when they were answered and closed"""

from __future__ import annotations

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"


def upgrade() -> None:
    op.create_index(
        "ix_case_events_action_created",
        "case_events",
        ["action", "created_at", "to_state", "case_id"],
        unique=False,
    )
    op.create_index("ix_cases_answered_closed", "cases", ["answered_at", "closed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_answered_closed", table_name="cases")
    op.drop_index("ix_case_events_action_created", table_name="case_events")
