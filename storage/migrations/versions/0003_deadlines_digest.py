"""deadlines and the weekly digest: department clock, scheduled runs, digest indexes"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | None = "0001"


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("department_due_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_index("ix_case_events_created", "case_events", ["created_at"], unique=False)
    op.create_index("ix_cases_first_response_at", "cases", ["first_response_at"], unique=False)
    op.create_index("ix_cases_merged_into_id", "cases", ["merged_into_id"], unique=False)
    op.create_table(
        "scheduled_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("scheduled_for", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job", "period"),
    )


def downgrade() -> None:
    op.drop_table("scheduled_runs")
    op.drop_index("ix_cases_merged_into_id", table_name="cases")
    op.drop_index("ix_cases_first_response_at", table_name="cases")
    op.drop_index("ix_case_events_created", table_name="case_events")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("department_due_at")
