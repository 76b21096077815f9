"""What a department liaison's private chat shows: the proposal of a part they take up."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.workflow import Part, TransitionError
from storage.crud import cases as cases_crud
from storage.crud import proposals as crud
from storage.models import Case


async def take_up(
    *, session: AsyncSession, user_id: int, part_id: int, answering: bool
) -> Case | None:
    """The proposal of a department's part the user is to answer (or ask the officers about):
    refused unless they are a liaison of that department, and, to answer, the part is open."""
    part = await crud.get_assignment(session=session, assignment_id=part_id)
    departments = await crud.liaison_departments(session=session, user_id=user_id)
    if part is None or part.department_code not in departments:
        raise TransitionError("not_liaison")
    if answering and part.status not in (Part.ASSIGNED, Part.RETURNED):
        raise TransitionError("invalid")
    return await cases_crud.get_case(session=session, case_id=part.case_id)
