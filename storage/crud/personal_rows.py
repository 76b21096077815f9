"""Every row stored about one person, for /mydata, and the declaration of where each is.

`REGISTRY` says, for every column that can hold a person's id, either which part of the export
carries the rows it links to the person, or why those rows are not about the person.
`tests/privacy/test_mydata_registry.py` fails when a table grows such a column without a line
here, so the export cannot silently miss what a new feature stores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud import cases as cases_crud
from storage.crud import consent as consent_crud
from storage.crud import mutes as mutes_crud
from storage.crud import proposals as proposals_crud
from storage.crud import reviews as reviews_crud
from storage.crud.outbox import sealed_lane
from storage.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseFollower,
    CollegeFollow,
    CongressSession,
    ConsentRecord,
    HeldMessage,
    MessageLink,
    Mute,
    OutboxMessage,
    PanelMember,
    PendingInput,
    Proposal,
    ProposalAssignment,
    ProposalCosign,
    ProposalSupport,
    Representative,
    ReviewRound,
    RoleGrant,
    TownHallOptIn,
    TownHallQuestion,
    TownHallVote,
    User,
)


@dataclass(frozen=True)
class Exported:
    """The rows this column links to the person are in the export's `section`."""

    section: str


@dataclass(frozen=True)
class NotAbout:
    """What this column holds is not the person's data, `because` …"""

    because: str


Relation = Exported | NotAbout

REGISTRY: dict[str, dict[str, Relation]] = {
    "users": {"id": Exported("profile")},
    "consent_records": {"user_id": Exported("consent")},
    "role_grants": {
        "user_id": Exported("roles"),
        "granted_by": NotAbout("it names the admin who granted someone a role, on that role's row"),
    },
    "cases": {
        "submitter_id": Exported("cases"),
        "last_actor_id": NotAbout("the same fact as the person's own events, under `actions`"),
        "chat_id": NotAbout("it is the officers' group chat holding the case's card"),
        "watch_chat_id": NotAbout(
            "it is the officers' group chat that held the case before (校院两级), watching it"
        ),
        "assignee_id": NotAbout(
            "it names the officer who answers for the case: their work, not their own matter; "
            "who gave it to whom is in the officers' events, under `actions`"
        ),
    },
    "case_events": {"actor_id": Exported("actions")},
    "case_followers": {"user_id": Exported("follows")},
    "college_follows": {"user_id": Exported("college_follows")},
    "message_links": {"chat_id": Exported("message_links")},
    "outbox": {"chat_id": Exported("messages"), "recipient_user_id": Exported("messages")},
    "pending_inputs": {
        "officer_id": Exported("pending_inputs"),
        "chat_id": NotAbout("it is the officers' group chat the prompt was posted in"),
    },
    "chat_bindings": {"chat_id": NotAbout("it holds groups and channels, never a private chat")},
    "proposals": {"channel_chat_id": NotAbout("it is the public channel")},
    "case_publications": {"channel_chat_id": NotAbout("it is the public channel")},
    "proposal_cosigns": {"user_id": Exported("cosignatures")},
    "proposal_supports": {"user_id": Exported("supports")},
    "proposal_assignments": {"liaison_id": Exported("liaison_parts")},
    "representatives": {"user_id": Exported("roster")},
    # The seat only: a review's ballots carry no voter at all (`storage.models_reviews`).
    "review_panel": {"user_id": Exported("review_seats")},
    "mutes": {
        "user_id": Exported("mutes"),
        "officer_id": NotAbout("the officer's decision, which is in their `actions` as the event"),
    },
    "reveal_requests": {
        "requested_by": NotAbout("an admin's act of office, kept in the audit log for oversight"),
        "decided_by": NotAbout("an admin's act of office, kept in the audit log for oversight"),
    },
    "audit_log": {
        "target_id": NotAbout(
            "an admin's act of office (a role given or taken), kept for oversight; the roles the "
            "person holds are under `roles`"
        )
    },
    "stored_files": {"owner_id": NotAbout("it marks earlier /mydata files: copies of the export")},
    "inbox_updates": {
        "update_id": NotAbout("Telegram's update number; an update is deleted once handled")
    },
    "processed_updates": {"update_id": NotAbout("Telegram's update number, without its sender")},
    "town_halls": {
        "created_by": NotAbout("it names the officer who created the session: their work")
    },
    "town_hall_questions": {"asker_id": Exported("town_hall_questions")},
    "town_hall_votes": {"user_id": Exported("town_hall_votes")},
    "town_hall_optins": {"user_id": Exported("town_hall_optin")},
}


@dataclass
class OwnCase:
    case: Case
    events: list[CaseEvent]
    attachments: list[Attachment]
    proposal: Proposal | None


@dataclass
class PersonalRows:
    user: User
    consent: list[ConsentRecord]
    roles: list[RoleGrant]
    cases: list[OwnCase]
    # Events the person made on any case (as an officer, a representative, …), with its number.
    actions: list[tuple[CaseEvent, str]]
    follows: list[tuple[CaseFollower, str]]
    # A representative's 关注 on their college's cases.
    college_follows: list[tuple[CollegeFollow, str]]
    cosignatures: list[tuple[ProposalCosign, str]]
    supports: list[tuple[ProposalSupport, str]]
    roster: list[tuple[Representative, CongressSession]]
    review_seats: list[tuple[PanelMember, ReviewRound]]
    liaison_parts: list[tuple[ProposalAssignment, str]]
    pending_inputs: list[tuple[PendingInput, str]]
    messages: list[OutboxMessage]
    message_links: list[tuple[MessageLink, str]]
    # Each mute with what is held under it (sealed: `bot.cases.mutes.held_content` opens it).
    mutes: list[tuple[Mute, list[HeldMessage]]]
    # 面对面: their questions (anonymous ones by their tags), votes, and the opt-in.
    town_hall_questions: list[TownHallQuestion] = field(default_factory=list)
    town_hall_votes: list[TownHallVote] = field(default_factory=list)
    town_hall_optin: list[TownHallOptIn] = field(default_factory=list)


async def collect(
    *, session: AsyncSession, user: User, tags: Sequence[str], stand_ins: Sequence[int]
) -> PersonalRows:
    """`tags` and `stand_ins` (`IdentitySeal.tags`, `.pseudonyms`): what stands for the person
    where their anonymous cases, the messages about them and their links are stored sealed."""
    user_id = user.id
    own = await cases_crud.own_cases(session=session, user_id=user_id, tags=tags)
    cases = [
        OwnCase(
            case=case,
            # What the officers noted among themselves is theirs, not the student's.
            events=await cases_crud.events_of(session=session, case_id=case.id, public_only=True),
            attachments=await cases_crud.attachments_of(session=session, case_id=case.id),
            proposal=await session.get(Proposal, case.id),
        )
        for case in own
        if case.id is not None
    ]
    return PersonalRows(
        user=user,
        consent=await consent_crud.history(session=session, user_id=user_id),
        roles=list(
            await session.scalars(
                select(RoleGrant)
                .where(col(RoleGrant.user_id) == user_id)
                .order_by(col(RoleGrant.id))
            )
        ),
        cases=cases,
        actions=await _numbered(session, CaseEvent, col(CaseEvent.actor_id) == user_id),
        follows=await _numbered(session, CaseFollower, col(CaseFollower.user_id) == user_id),
        college_follows=await _numbered(
            session, CollegeFollow, col(CollegeFollow.user_id) == user_id
        ),
        cosignatures=await _numbered(
            session, ProposalCosign, col(ProposalCosign.user_id) == user_id
        ),
        supports=await _numbered(session, ProposalSupport, col(ProposalSupport.user_id) == user_id),
        roster=await proposals_crud.memberships(session=session, user_id=user_id),
        review_seats=await reviews_crud.seats_with_rounds(session=session, user_id=user_id),
        liaison_parts=await _numbered(
            session, ProposalAssignment, col(ProposalAssignment.liaison_id) == user_id
        ),
        pending_inputs=await _numbered(
            session, PendingInput, col(PendingInput.officer_id) == user_id
        ),
        messages=list(
            await session.scalars(
                select(OutboxMessage)
                .where(
                    or_(
                        col(OutboxMessage.chat_id) == user_id,
                        col(OutboxMessage.recipient_user_id) == user_id,
                        col(OutboxMessage.lane).in_([sealed_lane(tag) for tag in tags]),
                    )
                )
                .order_by(col(OutboxMessage.id))
            )
        ),
        message_links=await _numbered(
            session, MessageLink, col(MessageLink.chat_id).in_([user_id, *stand_ins])
        ),
        mutes=await mutes_crud.mutes_with_held(session=session, user_id=user_id),
        town_hall_questions=list(
            await session.scalars(
                select(TownHallQuestion)
                .where(
                    or_(
                        col(TownHallQuestion.asker_id) == user_id,
                        col(TownHallQuestion.asker_tag).in_(list(tags)),
                    )
                )
                .order_by(col(TownHallQuestion.id))
            )
        ),
        town_hall_votes=list(
            await session.scalars(
                select(TownHallVote)
                .where(col(TownHallVote.user_id) == user_id)
                .order_by(col(TownHallVote.question_id))
            )
        ),
        town_hall_optin=list(
            await session.scalars(
                select(TownHallOptIn).where(col(TownHallOptIn.user_id) == user_id)
            )
        ),
    )


T = TypeVar("T")


async def _numbered(session: AsyncSession, table: type[T], where: Any) -> list[tuple[T, str]]:
    """The rows with the number of the case each belongs to."""
    case_id: Any = table.case_id  # type: ignore[attr-defined]
    stmt = (
        select(table, col(Case.number))
        .join(Case, col(Case.id) == case_id)
        .where(where)
        .order_by(col(Case.id))
    )
    return [(row, number) for row, number in (await session.execute(stmt)).all()]
