"""A department's part of a case, read under the case's lock and checked against who acts on it;
and what its liaisons, the officers' thread and the liaison acting read of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import guard
from bot.casework.transitions import Moved, move
from bot.core.context import Services
from bot.delivery import notify
from bot.departments import keyboards
from bot.domain.workflow import (
    PART_HELD,
    PART_OPEN,
    Action,
    Actor,
    Kind,
    Part,
    TransitionError,
)
from storage.crud import cases as cases_crud
from storage.crud import departments as crud
from storage.crud import proposals as proposals_crud
from storage.models import Case, OutboxMessage, Proposal, ProposalAssignment, User


@dataclass
class Held:
    """A department's part, read under its case's lock, with the case."""

    part: ProposalAssignment
    case: Case
    open_parts: int  # the case's parts still open (neither published nor declined)


async def _part(session: AsyncSession, assignment_id: int) -> Held:
    part = await crud.get_assignment(session=session, assignment_id=assignment_id)
    if part is None:
        raise TransitionError("not_found")
    case = await cases_crud.get_case(session=session, case_id=part.case_id, for_update=True)
    if case is None:
        raise TransitionError("not_found")
    # Read again under the case's lock, so two people pressing at once see one outcome.
    part = await crud.get_assignment(session=session, assignment_id=assignment_id, for_update=True)
    assert part is not None
    parts = await crud.assignments_of(session=session, case_id=part.case_id)
    return Held(part, case, open_parts=sum(p.status in PART_OPEN for p in parts))


async def for_liaison(
    *,
    session: AsyncSession,
    assignment_id: int,
    user: User,
    chat_id: int | None,
    holding: bool = True,
) -> Held:
    """The part, for a liaison of its department writing in private; `holding`: the department
    must still hold it (not answered, declined or taken back), else a refusal naming that."""
    held = await _part(session, assignment_id)
    await guard.liaison(
        session=session, user_id=user.id, chat_id=chat_id, department=held.part.department_code
    )
    if held.part.status == Part.DECLINED or (holding and held.part.status not in PART_HELD):
        raise TransitionError("not_with_department")
    return held


async def for_officer(
    *, session: AsyncSession, services: Services, assignment_id: int, actor: Actor
) -> Held:
    """The part, for an officer of the chat the case's card is in."""
    held = await _part(session, assignment_id)
    await guard.officer(session=session, services=services, actor=actor, case=held.case)
    return held


async def move_part(
    *,
    session: AsyncSession,
    services: Services,
    held: Held,
    action: Action,
    actor: Actor,
    text: str,
    public: bool = True,
) -> Moved:
    """A move on the case, judged by the part it is made on as well as by the case."""
    return await move(
        session=session,
        services=services,
        case=held.case,
        action=action,
        actor=actor,
        text=text,
        public=public,
        situation={"part": Part(held.part.status), "open_parts": held.open_parts},
    )


def department_name(services: Services, code: str) -> str:
    return services.renderer.name_of(services.org.department(code), services.group_locale)


def review_required(services: Services, case: Case, department: str) -> bool:
    """Whether the officers read a department's answer before the student: unless the
    organisation lets the department, or the case's category, skip it."""
    dept = services.org.department(department)
    category = services.org.category(case.category_code)
    return (dept is None or dept.review) and (category is None or category.review)


async def proposal_of(session: AsyncSession, case: Case) -> Proposal | None:
    if case.kind != Kind.PROPOSAL or case.id is None:
        return None
    return await proposals_crud.get_proposal(session=session, case_id=case.id)


async def to_liaisons(
    session: AsyncSession,
    services: Services,
    case: Case,
    part: ProposalAssignment,
    template: str,
    body: str = "",
    **context: Any,
) -> list[OutboxMessage]:
    """Each liaison of the part's department, with the buttons to answer, ask or decline.

    What a liaison reads names the case, never its author: an anonymous student's identity
    stays sealed, and a named one's is not the department's business either.
    """
    assert part.id is not None
    proposal = await proposal_of(session, case)
    rows: list[OutboxMessage] = []
    for liaison in await crud.liaisons_of(session=session, department=part.department_code):
        locale = notify.user_locale(liaison)
        keyboard = None
        if part.status in PART_HELD:
            keyboard = keyboards.liaison(
                services.renderer, locale, part.id, may_decline=proposal is None
            )
        rows += notify.to_user(
            services=services,
            user=liaison,
            template=template,
            case=case,
            keyboard=keyboard,
            priority=notify.NORMAL,
            link=False,
            body=body,
            proposal=proposal,
            part=part,
            department=services.org.department(part.department_code),
            **context,
        )
    return rows


def receipt(
    services: Services, liaison: User, case: Case, template: str, **context: Any
) -> list[OutboxMessage]:
    """What the liaison sees of what they sent: at once, and unlinked, so that a reply to it
    is not taken for information on the case."""
    context.setdefault("proposal", None)
    return notify.to_user(
        services=services, user=liaison, template=template, case=case, link=False, **context
    )


def thread(
    services: Services,
    case: Case,
    template: str,
    *,
    body: str,
    keyboard: dict[str, Any] | None,
    **context: Any,
) -> list[OutboxMessage]:
    """A note in the case's thread, its buttons (if any) on its last part."""
    return notify.to_thread(
        services=services, case=case, template=template, body=body, keyboard=keyboard, **context
    )
