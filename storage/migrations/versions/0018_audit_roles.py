"""roles: audit_log entries name a role change's target, role and scope, and a command-line actor"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("target_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("role", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column("actor_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        for column in ("actor_name", "scope", "role", "target_id"):
            batch.drop_column(column)
