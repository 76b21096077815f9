"""Registered proposals on the web board: the list and one proposal, as anyone may see them.

Built field by field into plain records rather than handing templates the stored rows or the
bot's `ProposalView`: those carry the proposer, the co-signers' names and Telegram ids, and a
page can only show what it is given. A proposal in a sensitive category is never shown, even
if it was moved into one after it was registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.board.query import BoardQuery, Listing, TimelineStep, public_steps
from bot.core.config import Category, Department
from bot.core.context import Services
from bot.core.paging import clamped_page
from bot.departments.views import PartView
from bot.domain import labels
from bot.domain.text import N_
from bot.domain.workflow import Action, Part, State
from bot.proposals.public_board import PUBLIC_STATES
from storage.crud import board as crud
from storage.crud import cases as cases_crud
from storage.crud import departments as departments_crud
from storage.crud import proposals as proposals_crud
from storage.models import Case

PAGE_SIZE = 20
STATES: tuple[str, ...] = tuple(str(state) for state in PUBLIC_STATES)
# The steps the public is told of, in words for a reader who is not the proposer (the bot's
# own labels speak to the student: "You rated…"); other events show the state they led to.
PUBLIC_EVENT = {
    "submit": N_("Submitted"),
    Action.SEND_FOR_COSIGN: N_("Opened for co-signing"),
    Action.ACCEPT: labels.PROPOSAL_STATE[State.ACCEPTED],
    Action.ASSIGN: N_("Assigned to the responsible departments"),
    Action.APPROVE_ANSWER: N_("A department's answer was published"),
    "answer_recorded": labels.EVENT["answer_recorded"],
    Action.ANSWER: N_("Answered"),
}


@dataclass(frozen=True)
class DepartmentPart:
    department: Department | None
    label: str
    # Only once published.
    answer: str | None
    answered_at: datetime | None


@dataclass(frozen=True)
class ProposalSummary:
    number: str
    state: str
    state_label: str
    title: str
    congress: str
    category: Category | None
    departments: list[Department | None]
    created_at: datetime


@dataclass(frozen=True)
class ProposalPage:
    summary: ProposalSummary
    problem: str
    reasons: str
    measures: str
    parts: list[DepartmentPart]
    supports: int
    cosigners: int
    rating: int | None
    timeline: list[TimelineStep]


def hidden_categories(services: Services) -> list[str]:
    return [category.code for category in services.org.categories if category.sensitive]


def shown_categories(services: Services) -> list[Category]:
    return [category for category in services.org.categories if not category.sensitive]


def state_label(state: str) -> str:
    return labels.PROPOSAL_STATE.get(State(state), labels.STATE[State(state)])


async def proposal_list(*, session: AsyncSession, services: Services, query: BoardQuery) -> Listing:
    """One page of the registered proposals `query` asks for, newest first."""

    async def load(page: int) -> tuple[list[ProposalSummary], int]:
        rows, total = await crud.public_proposals(
            session=session,
            states=[query.state] if query.state else STATES,
            hidden_categories=hidden_categories(services),
            category=query.category,
            department=query.department,
            terms=query.terms,
            limit=PAGE_SIZE,
            offset=page * PAGE_SIZE,
        )
        items = []
        for case, proposal, congress in rows:
            assert case.id is not None
            parts = await departments_crud.assignments_of(session=session, case_id=case.id)
            items.append(
                ProposalSummary(
                    number=case.number,
                    state=case.state,
                    state_label=state_label(case.state),
                    title=proposal.title,
                    congress=congress.name,
                    category=services.org.category(case.category_code),
                    departments=[services.org.department(p.department_code) for p in parts],
                    created_at=proposal.accepted_at or case.created_at,
                )
            )
        return items, total

    shown = await clamped_page(load, query.page, PAGE_SIZE)
    return Listing.of(
        shown,
        {
            "state": [(state, state_label(state)) for state in STATES],
            "category": shown_categories(services),
            "department": list(services.org.departments),
        },
    )


async def proposal_page(
    *, session: AsyncSession, services: Services, number: str
) -> ProposalPage | None:
    """The proposal numbered `number`, or None when the public may not see it (unknown, not
    registered, withdrawn, or in a sensitive category)."""
    case = await crud.public_proposal(
        session=session,
        number=number,
        states=STATES,
        hidden_categories=hidden_categories(services),
    )
    if case is None or case.id is None:
        return None
    proposal = await proposals_crud.get_proposal(session=session, case_id=case.id)
    assert proposal is not None
    congress = await proposals_crud.get_session(session=session, session_id=proposal.session_id)
    assert congress is not None
    parts = [
        PartView(part, services.org.department(part.department_code))
        for part in await departments_crud.assignments_of(session=session, case_id=case.id)
    ]
    published = [view.part.status == Part.PUBLISHED for view in parts]
    cosigns = await proposals_crud.cosigns_of(session=session, case_id=case.id)
    return ProposalPage(
        summary=ProposalSummary(
            number=case.number,
            state=case.state,
            state_label=state_label(case.state),
            title=proposal.title,
            congress=congress.name,
            category=services.org.category(case.category_code),
            departments=[view.department for view in parts],
            created_at=proposal.accepted_at or case.created_at,
        ),
        problem=proposal.problem,
        reasons=proposal.reasons,
        measures=proposal.measures,
        parts=[
            DepartmentPart(
                department=view.department,
                label=view.label,
                answer=view.part.answer if shown else None,
                answered_at=view.part.published_at if shown else None,
            )
            for view, shown in zip(parts, published, strict=True)
        ],
        supports=await proposals_crud.support_count(session=session, case_id=case.id),
        cosigners=sum(1 for cosign in cosigns if cosign.agreed),
        rating=case.rating,
        timeline=await timeline(session=session, case=case),
    )


async def timeline(*, session: AsyncSession, case: Case) -> list[TimelineStep]:
    """Its public events (`public_steps`)."""
    assert case.id is not None
    events = await cases_crud.events_of(session=session, case_id=case.id, public_only=True)
    return public_steps(events, states=STATES, public_event=PUBLIC_EVENT, state_label=state_label)
