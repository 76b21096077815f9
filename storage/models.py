"""Tables. Telegram ids are 64-bit, hence BigInteger on every id that comes from Telegram."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel, col

from storage.models_privacy import ConsentRecord as ConsentRecord  # a table of its own module
from storage.types import UTCDateTime, utcnow


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _now(index: bool = False) -> Any:
    """Stamped when the row is made."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, index=index)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int = Field(sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False})
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    locale: str | None = None
    college_code: str | None = None
    consent_at: datetime | None = _ts()
    # The privacy notice's version they last agreed to (`consent_at` is when); the whole
    # history, declines too, is in `consent_records`.
    consent_version: str | None = None
    unreachable_at: datetime | None = _ts()
    created_at: datetime = _now()


class RoleGrant(SQLModel, table=True):
    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "role", "department_code"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_type=BigInteger, index=True)
    role: str
    department_code: str = ""
    granted_by: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = _now()


class ChatBinding(SQLModel, table=True):
    """Which Telegram chat plays which part (officers, committee, sensitive cases)."""

    __tablename__ = "chat_bindings"

    purpose: str = Field(primary_key=True)
    chat_id: int = Field(sa_type=BigInteger)
    is_forum: bool = False
    title: str | None = None
    updated_at: datetime = _now()
    # The bot can no longer post there (removed, or the chat is gone): what goes there waits
    # until an admin binds a chat again. The reason is Telegram's word for it.
    lost_at: datetime | None = _ts()
    lost_reason: str | None = None


class CaseCounter(SQLModel, table=True):
    __tablename__ = "case_counters"

    series: str = Field(primary_key=True)
    value: int = 0


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_state_created", "state", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    kind: str
    category_code: str = Field(index=True)
    college_code: str | None = Field(default=None, index=True)
    text: str
    anonymous: bool = False
    state: str
    # Where it came from: the bot (telegram), a converted proposal, or an officer's /intake of
    # one received offline (`bot.domain.intake.SOURCES`), with the day it was received, which
    # its deadlines count from.
    source: str = "telegram"
    received_on: date | None = None
    submitter_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    # An anonymous case's author, instead of submitter_id (`bot.core.sealing`): sealed, to
    # reach them; tagged, for them to find their own cases. Neither names them without the key.
    author_sealed: str | None = None
    author_tag: str | None = Field(default=None, max_length=32, index=True)
    department_code: str | None = None
    merged_into_id: int | None = None
    resume_state: str | None = None
    reopen_count: int = 0
    rating: int | None = None
    rating_comment: str | None = None
    last_actor_id: int | None = Field(default=None, sa_type=BigInteger)
    chat_id: int | None = Field(default=None, sa_type=BigInteger)
    topic_id: int | None = None
    card_message_id: int | None = None
    card_title: str | None = None
    created_at: datetime = _now(index=True)
    updated_at: datetime = _now()
    first_response_at: datetime | None = _ts()
    answered_at: datetime | None = _ts()
    closed_at: datetime | None = _ts()
    first_response_due_at: datetime | None = _ts()
    answer_due_at: datetime | None = _ts()
    # The department's own clock (转办 → 答复); like the others, empty while the student is asked.
    department_due_at: datetime | None = _ts()
    # Its personal data went after the retention period (`bot.privacy.retention`): an empty
    # text then means "deleted", which each view says in the reader's language.
    purged_at: datetime | None = _ts()
    # The officer who answers for the case (认领 / 指派); none until one takes it.
    assignee_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    # 代提交: a student representative submitted it for a classmate and is its contact (its
    # submitter, sealed like any author when the classmate chose anonymity). The classmate's
    # name as the representative typed it, only when they are named.
    on_behalf: bool = False
    classmate_name: str | None = None
    # 校院两级 (`bot.domain.levels`): held by its college's union ("college") or by the
    # university; `chat_id` above is the holding chat. The chat that held it before (上报 /
    # 下派) keeps a read-only card there and keeps seeing the timeline: the watching chat.
    level: str = Field(default="university", sa_column_kwargs={"server_default": "university"})
    watch_chat_id: int | None = Field(default=None, sa_type=BigInteger)
    watch_topic_id: int | None = None
    watch_card_message_id: int | None = None


class Attachment(SQLModel, table=True):
    __tablename__ = "attachments"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(index=True, foreign_key="cases.id")
    event_id: int | None = None
    kind: str
    file_id: str
    file_unique_id: str | None = None
    file_name: str | None = None


class CaseEvent(SQLModel, table=True):
    __tablename__ = "case_events"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(index=True, foreign_key="cases.id")
    action: str
    from_state: str | None = None
    to_state: str | None = None
    actor_id: int | None = Field(default=None, sa_type=BigInteger)
    actor_role: str
    text: str | None = None
    public: bool = True
    created_at: datetime = _now()
    # A mute decided on the case: when it ends (its reason is the text).
    until: datetime | None = _ts()


class CaseFollower(SQLModel, table=True):
    __tablename__ = "case_followers"

    case_id: int = Field(primary_key=True, foreign_key="cases.id")
    user_id: int = Field(sa_type=BigInteger, primary_key=True)
    created_at: datetime = _now()


class MessageLink(SQLModel, table=True):
    """A bot message that belongs to a case, so a reply to it finds the case."""

    __tablename__ = "message_links"

    chat_id: int = Field(sa_type=BigInteger, primary_key=True)
    message_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    case_id: int = Field(index=True, foreign_key="cases.id")


class OutboxMessage(SQLModel, table=True):
    """A notification committed together with the change that caused it, sent later.

    `kind` says how the worker turns the row into Bot API calls: "send" is a ready request,
    "card" re-renders a case's officer card from the current state (so repeated edits collapse),
    "thread" posts into a case's officer thread, resolved at send time.
    `lane` groups the rows that must go out in order (one chat's, one case's officer rows);
    `claimed_by` is the delivery worker sending the row, which renews `claimed_at` while alive.
    `forget`: the row goes once it is sent or has failed, being a message to someone who has
    just erased their data (the confirmation of the erasure).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "priority", "next_attempt_at", "id"),
        Index("ix_outbox_lane", "lane", "status"),
        # A restart counts the last minute's sends against the limits.
        Index("ix_outbox_sent", "sent_at"),
        # Ids are never reused: a worker may still hold the id of a row just deleted.
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = "send"
    method: str = "sendMessage"
    chat_id: int | None = Field(default=None, sa_type=BigInteger)
    # Instead of chat_id, a row to an anonymous case's author (kind "sealed"): the chat sealed
    # (`bot.core.sealing`), opened by the delivery worker only, in memory, to send it.
    chat_sealed: str | None = None
    case_id: int | None = None
    recipient_user_id: int | None = Field(default=None, sa_type=BigInteger)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    priority: int = 10
    status: str = Field(default="pending")
    attempts: int = 0
    report_failure: bool = False
    coalesce_key: str | None = Field(default=None, index=True)
    last_error: str | None = None
    result_message_id: int | None = None
    created_at: datetime = _now()
    next_attempt_at: datetime = _now()
    claimed_at: datetime | None = _ts()
    sent_at: datetime | None = _ts()
    lane: str | None = None
    claimed_by: str | None = None
    forget: bool = False


class ProcessedUpdate(SQLModel, table=True):
    __tablename__ = "processed_updates"

    update_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    processed_at: datetime = _now()


class InboxUpdate(SQLModel, table=True):
    """An update stored before Telegram is told it arrived, waiting to be handled.

    Handling deletes the row in the transaction that commits its effect (and records the update
    in `processed_updates`), so what is here is exactly what still has to happen. `lane` keeps
    one chat's updates in order.
    """

    __tablename__ = "inbox_updates"

    update_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    lane: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = _now()


class StoredFile(SQLModel, table=True):
    """A generated file (a report, a chart) that an outbox row sends as a document or photo."""

    __tablename__ = "stored_files"

    id: int | None = Field(default=None, primary_key=True)
    filename: str
    content_type: str
    data: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = _now()
    # The person whose data the file is (their /mydata export): erasing them deletes it.
    owner_id: int | None = Field(default=None, sa_type=BigInteger, index=True)


class ScheduledRun(SQLModel, table=True):
    """A scheduled job's period, claimed by whichever instance sends it first.

    The claim commits with the outbox rows it enqueues, so the period's messages go out exactly
    once: a second instance (or a restart) finds the row and leaves the period alone.
    """

    __tablename__ = "scheduled_runs"
    __table_args__ = (UniqueConstraint("job", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str
    period: str
    scheduled_for: datetime = Field(sa_type=UTCDateTime)
    claimed_at: datetime = Field(sa_type=UTCDateTime)
    late: bool = False
    sent: int = 0


class PendingInput(SQLModel, table=True):
    """A text an officer was asked for in a group chat (an answer, a reason, a comment, a
    case number): taken only from a reply to the bot's prompt, by the officer who pressed the
    button, then (for what leaves the officers' chat) confirmed from a preview.

    The prompt is an outbox row: its message id is known once it was sent, so a prompt that
    never arrived cannot be replied to. Rows stay after they end (`status`), so a late reply
    to an old prompt is recognised and refused instead of being relayed to the student.
    """

    __tablename__ = "pending_inputs"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(index=True, foreign_key="cases.id")
    # A proposal's department part, for a comment on its answer or a reply to its liaison.
    part_id: int | None = None
    action: str
    officer_id: int = Field(sa_type=BigInteger)
    chat_id: int = Field(sa_type=BigInteger, index=True)
    prompt_row_id: int = Field(unique=True)
    status: str = "awaiting"
    text: str | None = None
    created_at: datetime = _now()
    expires_at: datetime = Field(sa_type=UTCDateTime)


# Imported for their tables; kept apart so this file stays readable.
from storage.models_abuse import HeldMessage as HeldMessage  # noqa: E402
from storage.models_abuse import Mute as Mute  # noqa: E402

# The digest reads events by time (answers, ratings, state changes in a period), cases by
# their first response, and duplicates by what they were merged into; appended here rather
# than in the classes so those definitions stay as they were.
Index("ix_case_events_created", col(CaseEvent.created_at))
Index("ix_cases_first_response_at", col(Case.first_response_at))
Index("ix_cases_merged_into_id", col(Case.merged_into_id))
# Answers and ratings of a period are found by their action, and counted from the index alone;
# cases answered or closed since a moment (the digest's live and overdue cases) likewise.
Index(
    "ix_case_events_action_created",
    col(CaseEvent.action),
    col(CaseEvent.created_at),
    col(CaseEvent.to_state),
    col(CaseEvent.case_id),
)
Index("ix_cases_answered_closed", col(Case.answered_at), col(Case.closed_at))
# A college union's /queue and the digest's figures per level and college.
Index("ix_cases_level_college", col(Case.level), col(Case.college_code))


# -- congress proposals (提案) ------------------------------------------------------------------


class CongressSession(SQLModel, table=True):
    """A student congress session (学代会) and its proposal window."""

    __tablename__ = "congress_sessions"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    opens_at: datetime = Field(sa_type=UTCDateTime)
    closes_at: datetime = Field(sa_type=UTCDateTime)
    cosigners_required: int = 2
    created_at: datetime = _now()


class Representative(SQLModel, table=True):
    """A roster entry; `user_id` is set when its one-time invite code is used."""

    __tablename__ = "representatives"
    __table_args__ = (UniqueConstraint("session_id", "student_no"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(index=True, foreign_key="congress_sessions.id")
    name: str
    student_no: str
    college_code: str
    delegation: str = ""
    phone: str | None = None
    invite_code: str = Field(unique=True)
    user_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    linked_at: datetime | None = _ts()
    created_at: datetime = _now()


class Proposal(SQLModel, table=True):
    """What a proposal adds to its case (kind "proposal")."""

    __tablename__ = "proposals"

    case_id: int = Field(
        primary_key=True, foreign_key="cases.id", sa_column_kwargs={"autoincrement": False}
    )
    session_id: int = Field(index=True, foreign_key="congress_sessions.id")
    title: str
    problem: str = ""
    reasons: str = ""
    measures: str = ""
    suggested_department: str | None = None
    converted_to_id: int | None = None
    accepted_at: datetime | None = _ts()
    channel_chat_id: int | None = Field(default=None, sa_type=BigInteger)
    channel_message_id: int | None = None


class ProposalCosign(SQLModel, table=True):
    """A representative's answer to a co-signing request (附议 or not), once each.

    `user_id` is empty on a 附议 whose representative erased their data after it had helped
    the proposal reach the committee: it still counts, it no longer says whose it was.
    """

    __tablename__ = "proposal_cosigns"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(index=True, foreign_key="cases.id")
    user_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    agreed: bool
    created_at: datetime = _now()


class ProposalAssignment(SQLModel, table=True):
    """One responsible department's part of a proposal, with its answer on the way out."""

    __tablename__ = "proposal_assignments"
    __table_args__ = (UniqueConstraint("case_id", "department_code"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(index=True, foreign_key="cases.id")
    department_code: str
    status: str = "assigned"
    round: int = 1
    due_at: datetime | None = _ts()
    answer: str | None = None
    answer_event_id: int | None = None
    liaison_id: int | None = Field(default=None, sa_type=BigInteger)
    review_comment: str | None = None
    drafted_at: datetime | None = _ts()
    published_at: datetime | None = _ts()
    created_at: datetime = _now()


class ProposalSupport(SQLModel, table=True):
    """A student's +1 on a registered proposal, once each."""

    __tablename__ = "proposal_supports"

    case_id: int = Field(primary_key=True, foreign_key="cases.id")
    user_id: int = Field(sa_type=BigInteger, primary_key=True)
    created_at: datetime = _now()


# Tables kept in their own modules, registered on the metadata with these.
from storage.models_concerns import CasePublication as CasePublication  # noqa: E402
from storage.models_intake import IntakeInvite as IntakeInvite  # noqa: E402
from storage.models_reps import CollegeFollow as CollegeFollow  # noqa: E402
from storage.models_reveal import AuditEntry as AuditEntry  # noqa: E402
from storage.models_reveal import RevealRequest as RevealRequest  # noqa: E402
from storage.models_reviews import PanelMember as PanelMember  # noqa: E402
from storage.models_reviews import ReviewBallot as ReviewBallot  # noqa: E402
from storage.models_reviews import ReviewDraft as ReviewDraft  # noqa: E402
from storage.models_reviews import Reviewee as Reviewee  # noqa: E402
from storage.models_reviews import ReviewRound as ReviewRound  # noqa: E402
from storage.models_townhall import TownHall as TownHall  # noqa: E402
from storage.models_townhall import TownHallOptIn as TownHallOptIn  # noqa: E402
from storage.models_townhall import TownHallQuestion as TownHallQuestion  # noqa: E402
from storage.models_townhall import TownHallVote as TownHallVote  # noqa: E402
