"""semester reviews (述职评议): rounds, reviewees, panel, drafts and voter-less ballots"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0024"
down_revision: str | None = "0023"

_S = sqlmodel.sql.sqltypes.AutoString
_TS = storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "review_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("semester", _S(length=40), nullable=False),
        sa.Column("deadline", _TS(timezone=True), nullable=False),
        sa.Column("quorum_num", sa.Integer(), nullable=False),
        sa.Column("quorum_den", sa.Integer(), nullable=False),
        sa.Column("opened_at", _TS(timezone=True), nullable=False),
        sa.Column("closed_at", _TS(timezone=True), nullable=True),
        sa.Column("reminded_at", _TS(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("semester"),
    )
    op.create_table(
        "reviewees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", _S(length=40), nullable=False),
        sa.Column("post", _S(length=60), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["review_rounds.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reviewees_round_id", "reviewees", ["round_id"])
    op.create_table(
        "review_panel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("kind", _S(length=20), nullable=False),
        sa.Column("name", _S(length=40), nullable=False),
        sa.Column("unit", _S(length=60), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("invite_hash", _S(length=64), nullable=True),
        sa.Column("voted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["review_rounds.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invite_hash"),
        sa.UniqueConstraint("round_id", "user_id"),
    )
    op.create_index("ix_review_panel_round_id", "review_panel", ["round_id"])
    op.create_index("ix_review_panel_user_id", "review_panel", ["user_id"])
    op.create_table(
        "review_drafts",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["review_panel.id"]),
        sa.PrimaryKeyConstraint("member_id"),
    )
    op.create_table(
        "review_ballots",
        sa.Column("id", _S(length=36), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("reviewee_id", sa.Integer(), nullable=False),
        sa.Column("political", sa.Integer(), nullable=True),
        sa.Column("moral", sa.Integer(), nullable=True),
        sa.Column("study", sa.Integer(), nullable=True),
        sa.Column("work", sa.Integer(), nullable=True),
        sa.Column("discipline", sa.Integer(), nullable=True),
        sa.Column("comment", _S(length=500), nullable=True),
        sa.ForeignKeyConstraint(["round_id"], ["review_rounds.id"]),
        sa.ForeignKeyConstraint(["reviewee_id"], ["reviewees.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_review_ballots_round_id", "review_ballots", ["round_id"])


def downgrade() -> None:
    op.drop_index("ix_review_ballots_round_id", table_name="review_ballots")
    op.drop_table("review_ballots")
    op.drop_table("review_drafts")
    op.drop_index("ix_review_panel_user_id", table_name="review_panel")
    op.drop_index("ix_review_panel_round_id", table_name="review_panel")
    op.drop_table("review_panel")
    op.drop_index("ix_reviewees_round_id", table_name="reviewees")
    op.drop_table("reviewees")
    op.drop_table("review_rounds")
