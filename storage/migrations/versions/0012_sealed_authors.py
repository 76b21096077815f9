"""sealed authors: an anonymous case's author sealed and tagged instead of named"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("author_sealed", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch.add_column(
            sa.Column("author_tag", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch.create_index("ix_cases_author_tag", ["author_tag"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_author_tag")
        batch.drop_column("author_tag")
        batch.drop_column("author_sealed")
