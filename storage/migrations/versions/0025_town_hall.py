"""town hall (面对面): town_halls, their questions, votes and the students' opt-ins"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0025"
down_revision: str | None = "0024"

_STR = sqlmodel.sql.sqltypes.AutoString
_TS = storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "town_halls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", _STR(), nullable=False),
        sa.Column("held_at", _TS(timezone=True), nullable=False),
        sa.Column("place", _STR(), nullable=False),
        sa.Column("attendees", _STR(), nullable=False),
        sa.Column("opens_at", _TS(timezone=True), nullable=False),
        sa.Column("closes_at", _TS(timezone=True), nullable=False),
        sa.Column("colleges", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "town_hall_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("town_hall_id", sa.Integer(), nullable=False),
        sa.Column("text", _STR(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("asker_id", sa.BigInteger(), nullable=True),
        sa.Column("asker_sealed", _STR(), nullable=True),
        sa.Column("asker_tag", _STR(length=32), nullable=True),
        sa.Column("college_code", _STR(), nullable=True),
        sa.Column("status", _STR(), nullable=False),
        sa.Column("reason", _STR(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("answer", _STR(), nullable=True),
        sa.Column("answered_by", _STR(), nullable=True),
        sa.Column("answered_at", _TS(timezone=True), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["town_hall_id"], ["town_halls.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_town_hall_questions_town_hall_id", "town_hall_questions", ["town_hall_id"])
    op.create_index("ix_town_hall_questions_asker_id", "town_hall_questions", ["asker_id"])
    op.create_index("ix_town_hall_questions_asker_tag", "town_hall_questions", ["asker_tag"])
    op.create_table(
        "town_hall_votes",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["town_hall_questions.id"]),
        sa.PrimaryKeyConstraint("question_id", "user_id"),
    )
    op.create_index("ix_town_hall_votes_user_id", "town_hall_votes", ["user_id"])
    op.create_table(
        "town_hall_optins",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("town_hall_optins")
    op.drop_index("ix_town_hall_votes_user_id", table_name="town_hall_votes")
    op.drop_table("town_hall_votes")
    op.drop_index("ix_town_hall_questions_asker_tag", table_name="town_hall_questions")
    op.drop_index("ix_town_hall_questions_asker_id", table_name="town_hall_questions")
    op.drop_index("ix_town_hall_questions_town_hall_id", table_name="town_hall_questions")
    op.drop_table("town_hall_questions")
    op.drop_table("town_halls")
