"""congress proposals: sessions, roster, proposal details, co-signatures, departments, supports"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0001"

_STR = sqlmodel.sql.sqltypes.AutoString
_TS = storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "congress_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _STR(), nullable=False),
        sa.Column("opens_at", _TS(timezone=True), nullable=False),
        sa.Column("closes_at", _TS(timezone=True), nullable=False),
        sa.Column("cosigners_required", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "representatives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("name", _STR(), nullable=False),
        sa.Column("student_no", _STR(), nullable=False),
        sa.Column("college_code", _STR(), nullable=False),
        sa.Column("delegation", _STR(), nullable=False),
        sa.Column("phone", _STR(), nullable=True),
        sa.Column("invite_code", _STR(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("linked_at", _TS(timezone=True), nullable=True),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["congress_sessions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invite_code"),
        sa.UniqueConstraint("session_id", "student_no"),
    )
    op.create_index("ix_representatives_session_id", "representatives", ["session_id"])
    op.create_index("ix_representatives_user_id", "representatives", ["user_id"])
    op.create_table(
        "proposals",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("title", _STR(), nullable=False),
        sa.Column("problem", _STR(), nullable=False),
        sa.Column("reasons", _STR(), nullable=False),
        sa.Column("measures", _STR(), nullable=False),
        sa.Column("suggested_department", _STR(), nullable=True),
        sa.Column("converted_to_id", sa.Integer(), nullable=True),
        sa.Column("accepted_at", _TS(timezone=True), nullable=True),
        sa.Column("channel_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["congress_sessions.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_proposals_session_id", "proposals", ["session_id"])
    op.create_table(
        "proposal_cosigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("agreed", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "user_id"),
    )
    op.create_index("ix_proposal_cosigns_case_id", "proposal_cosigns", ["case_id"])
    op.create_index("ix_proposal_cosigns_user_id", "proposal_cosigns", ["user_id"])
    op.create_table(
        "proposal_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("department_code", _STR(), nullable=False),
        sa.Column("status", _STR(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("due_at", _TS(timezone=True), nullable=True),
        sa.Column("answer", _STR(), nullable=True),
        sa.Column("answer_event_id", sa.Integer(), nullable=True),
        sa.Column("liaison_id", sa.BigInteger(), nullable=True),
        sa.Column("review_comment", _STR(), nullable=True),
        sa.Column("drafted_at", _TS(timezone=True), nullable=True),
        sa.Column("published_at", _TS(timezone=True), nullable=True),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "department_code"),
    )
    op.create_index("ix_proposal_assignments_case_id", "proposal_assignments", ["case_id"])
    op.create_table(
        "proposal_supports",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _TS(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("proposal_supports")
    op.drop_index("ix_proposal_assignments_case_id", table_name="proposal_assignments")
    op.drop_table("proposal_assignments")
    op.drop_index("ix_proposal_cosigns_user_id", table_name="proposal_cosigns")
    op.drop_index("ix_proposal_cosigns_case_id", table_name="proposal_cosigns")
    op.drop_table("proposal_cosigns")
    op.drop_index("ix_proposals_session_id", table_name="proposals")
    op.drop_table("proposals")
    op.drop_index("ix_representatives_user_id", table_name="representatives")
    op.drop_index("ix_representatives_session_id", table_name="representatives")
    op.drop_table("representatives")
    op.drop_table("congress_sessions")
