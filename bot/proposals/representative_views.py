"""What a representative's private chat shows: where /propose leads them, a draft as its
preview shows it, a proposal they are asked to co-sign."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.proposals import cosign, drafts, views
from bot.proposals.core import Loaded, load, window_open
from bot.proposals.views import ProposalView
from storage.crud import cases as cases_crud
from storage.crud import proposals as crud
from storage.models import Case, CongressSession, Proposal, Representative, User


@dataclass(frozen=True)
class ProposeEntry:
    """Where /propose leads: the user's standing (none: not on any roster), whether its window
    is open, and, if so, their newest draft in that session to take up again."""

    representative: Representative | None
    congress: CongressSession | None
    is_open: bool
    draft: tuple[Case, Proposal] | None


@dataclass(frozen=True)
class DraftPreview:
    loaded: Loaded
    attachments: int
    missing: list[str]


async def propose_entry(*, session: AsyncSession, services: Services, user_id: int) -> ProposeEntry:
    found = await drafts.standing(session=session, services=services, user_id=user_id)
    if found is None:
        return ProposeEntry(None, None, is_open=False, draft=None)
    representative, congress = found
    if not window_open(congress, services.now()):
        return ProposeEntry(representative, congress, is_open=False, draft=None)
    draft = await crud.latest_draft(session=session, user_id=user_id, session_id=congress.id or 0)
    return ProposeEntry(representative, congress, is_open=True, draft=draft)


async def draft_preview(*, session: AsyncSession, case_id: int) -> DraftPreview:
    """A draft with how many files it has and which of its steps are still unanswered."""
    loaded = await load(session=session, case_id=case_id, for_update=False)
    attachments = await cases_crud.attachments_of(session=session, case_id=case_id)
    return DraftPreview(loaded, len(attachments), drafts.missing_fields(loaded))


async def cosign_request(
    *, session: AsyncSession, services: Services, case_id: int, user: User
) -> ProposalView:
    """The proposal a co-signing link asks the user about, if they may answer it now."""
    loaded, _representative = await cosign.cosigner_check(
        session=session, services=services, case_id=case_id, user=user, for_update=False
    )
    return await views.build(session=session, services=services, case=loaded.case)
