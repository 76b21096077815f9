"""What the departments' parts look like: on a card, and in a liaison's private chat (the case
of a part they take up)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.config import Department
from bot.core.context import Services
from bot.domain import labels
from bot.domain.workflow import PART_HELD, Kind, Part, TransitionError
from storage.crud import cases as cases_crud
from storage.crud import departments as crud
from storage.models import Case, ProposalAssignment

ANSWER, ASK, DECLINE = "answer", "ask", "decline"


async def take_up(*, session: AsyncSession, user_id: int, part_id: int, step: str) -> Case | None:
    """The case of a department's part the user is to answer, ask the officers about or
    decline: refused unless they are a liaison of that department and it still holds the case
    (to ask, unless it declined it)."""
    part = await crud.get_assignment(session=session, assignment_id=part_id)
    departments = await crud.liaison_departments(session=session, user_id=user_id)
    if part is None or part.department_code not in departments:
        raise TransitionError("not_liaison")
    if part.status == Part.DECLINED or (step != ASK and part.status not in PART_HELD):
        raise TransitionError("not_with_department")
    case = await cases_crud.get_case(session=session, case_id=part.case_id)
    if step == DECLINE and case is not None and case.kind == Kind.PROPOSAL:
        raise TransitionError("invalid")
    return case


@dataclass
class PartView:
    part: ProposalAssignment
    department: Department | None

    @property
    def label(self) -> str:
        return labels.PART[Part(self.part.status)]


async def parts_of(*, session: AsyncSession, services: Services, case: Case) -> list[PartView]:
    """The departments a case went to, in the order it went (the first one that still holds
    it leads: the case's `department_code`)."""
    assert case.id is not None
    parts = await crud.assignments_of(session=session, case_id=case.id)
    return [PartView(part, services.org.department(part.department_code)) for part in parts]
