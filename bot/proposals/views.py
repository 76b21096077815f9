"""A proposal as its messages show it: the card, the preview, the public page, the report."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.config import Category, Department
from bot.core.context import Services
from bot.departments.views import PartView
from bot.domain import labels
from bot.domain.workflow import State
from storage.crud import cases as cases_crud
from storage.crud import departments as departments_crud
from storage.crud import proposals as crud
from storage.models import Case, CongressSession, Proposal, Representative


@dataclass
class ProposalView:
    case: Case
    proposal: Proposal
    congress: CongressSession
    proposer: Representative | None
    cosigners: list[str]
    # 附议 still counted whose representatives have since erased their data (named by nobody).
    erased_cosigners: int
    parts: list[PartView]
    supports: int
    attachments: int
    category: Category | None
    suggested: Department | None
    converted_to: Case | None

    @property
    def state_label(self) -> str:
        state = State(self.case.state)
        return labels.PROPOSAL_STATE.get(state, labels.STATE[state])

    @property
    def cosigner_count(self) -> int:
        return len(self.cosigners) + self.erased_cosigners

    @property
    def required(self) -> int:
        return self.congress.cosigners_required

    @property
    def departments(self) -> list[Department | None]:
        return [view.department for view in self.parts]


async def build(*, session: AsyncSession, services: Services, case: Case) -> ProposalView:
    assert case.id is not None
    proposal = await crud.get_proposal(session=session, case_id=case.id)
    assert proposal is not None, f"{case.number} has no proposal row"
    congress = await crud.get_session(session=session, session_id=proposal.session_id)
    assert congress is not None
    proposer = None
    if case.submitter_id is not None:
        proposer = await crud.representative_of(
            session=session, user_id=case.submitter_id, session_id=proposal.session_id
        )
    parts = await departments_crud.assignments_of(session=session, case_id=case.id)
    converted_to = None
    if proposal.converted_to_id is not None:
        converted_to = await cases_crud.get_case(session=session, case_id=proposal.converted_to_id)
    return ProposalView(
        case=case,
        proposal=proposal,
        congress=congress,
        proposer=proposer,
        cosigners=await crud.cosigner_names(
            session=session, case_id=case.id, session_id=proposal.session_id
        ),
        erased_cosigners=await crud.erased_cosigns(session=session, case_id=case.id),
        parts=[PartView(part, services.org.department(part.department_code)) for part in parts],
        supports=await crud.support_count(session=session, case_id=case.id),
        attachments=len(await cases_crud.attachments_of(session=session, case_id=case.id)),
        category=services.org.category(case.category_code),
        suggested=services.org.department(proposal.suggested_department),
        converted_to=converted_to,
    )
