"""/proposals: the current session's registered proposals as every student sees them — a page
of the list, one proposal, following it (then hearing of every public change) and supporting
it (+1, once)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.domain.workflow import Kind, State
from bot.proposals import views
from bot.proposals.views import ProposalView
from storage.crud import cases as cases_crud
from storage.crud import proposals as crud
from storage.models import CongressSession

PAGE = 5
# Registered (立案) and after: what the public sees of a session.
PUBLIC_STATES = (
    State.ACCEPTED,
    State.IN_PROGRESS,
    State.ANSWERED,
    State.REOPENED,
    State.CLOSED,
)
ACTIONS = frozenset({"open", "follow", "unfollow", "support"})


@dataclass(frozen=True)
class BoardPage:
    congress: CongressSession | None
    items: list[ProposalView]
    total: int
    page: int

    @property
    def has_next(self) -> bool:
        return (self.page + 1) * PAGE < self.total


@dataclass(frozen=True)
class PublicProposal:
    view: ProposalView
    # None: the reader is the proposer, who follows it anyway.
    following: bool | None
    # False after "support" too when the reader had supported it before.
    new_support: bool = False


async def board_page(*, session: AsyncSession, services: Services, page: int) -> BoardPage:
    congress = await crud.current_session(session=session, now=services.now())
    items: list[ProposalView] = []
    total = 0
    if congress is not None:
        rows, total = await crud.proposals_of_session(
            session=session,
            session_id=congress.id or 0,
            states=PUBLIC_STATES,
            limit=PAGE,
            offset=page * PAGE,
        )
        items = [
            await views.build(session=session, services=services, case=case) for case, _ in rows
        ]
    return BoardPage(congress=congress, items=items, total=total, page=page)


async def act(
    *, session: AsyncSession, services: Services, user_id: int, case_id: int, action: str
) -> PublicProposal | None:
    """Do `action` (one of ACTIONS) on a public proposal and show it as it is now; None when
    there is no such proposal in public."""
    case = await cases_crud.get_case(session=session, case_id=case_id)
    if case is None or case.id is None:
        return None
    if case.kind != Kind.PROPOSAL or case.state not in PUBLIC_STATES:
        return None
    new_support = False
    if action == "follow":
        await cases_crud.add_followers(session=session, case_id=case.id, user_ids=[user_id])
    elif action == "unfollow":
        await crud.remove_follower(session=session, case_id=case.id, user_id=user_id)
    elif action == "support":
        new_support = await crud.add_support(session=session, case_id=case.id, user_id=user_id)
    following: bool | None = None
    if case.submitter_id != user_id:
        following = user_id in await cases_crud.follower_ids(session=session, case_id=case.id)
    view = await views.build(session=session, services=services, case=case)
    return PublicProposal(view=view, following=following, new_support=new_support)
