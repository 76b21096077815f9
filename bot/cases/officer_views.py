"""What the officers' chats ask of the cases: whether a chat is one of theirs, which case a
message there is about, a card's buttons, and a card listed in a batch message."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import levels, recategorise
from bot.casework import chats, guard, keyboards
from bot.core.context import Services
from bot.delivery import batching
from bot.domain.chats import OFFICERS, SENSITIVE
from bot.domain.workflow import Actor
from storage.crud import cases as cases_crud
from storage.crud import users as users_crud
from storage.models import Case


async def is_officers_chat(*, session: AsyncSession, chat_id: int) -> bool:
    """True for the chat bound as the officers' or the sensitive cases' one, or a college
    union's."""
    for purpose in (OFFICERS, SENSITIVE):
        binding = await users_crud.get_binding(session=session, purpose=purpose)
        if binding is not None and binding.chat_id == chat_id:
            return True
    return await chats.college_of_chat(session=session, chat_id=chat_id) is not None


async def case_in_thread(
    *, session: AsyncSession, chat_id: int, topic_id: int | None, reply_to: int | None
) -> Case | None:
    """The case a message in an officers' chat is about: by its forum topic, else by the
    message it replies to."""
    if topic_id is not None:
        case = await cases_crud.case_by_topic(session=session, chat_id=chat_id, topic_id=topic_id)
        if case is not None:
            return case
    if reply_to is None:
        return None
    return await cases_crud.case_by_message(session=session, chat_id=chat_id, message_id=reply_to)


async def card_buttons(
    *, session: AsyncSession, services: Services, actor: Actor, case_id: int, departments: bool
) -> dict[str, Any] | None:
    """A card's own buttons, or with `departments` those to forward the case to; raises
    `TransitionError` when the actor may not act on the case from where they are."""
    case = await guard.officer_case(
        session=session, services=services, actor=actor, case_id=case_id
    )
    if departments:
        return keyboards.departments(services.renderer, services.group_locale, case)
    return keyboards.card(
        services.renderer,
        services.group_locale,
        case,
        unions=await chats.unions_bound(session=session),
    )


async def level_buttons(
    *, session: AsyncSession, services: Services, actor: Actor, case_id: int
) -> dict[str, Any]:
    """下派: the colleges a case may be delegated to; raises as `card_buttons` does."""
    case = await levels.delegate_choices(
        session=session, services=services, actor=actor, case_id=case_id
    )
    return keyboards.colleges(services.renderer, services.group_locale, case)


async def category_buttons(
    *, session: AsyncSession, services: Services, actor: Actor, case_id: int
) -> dict[str, Any]:
    """The categories a case may be moved to (重新分类); raises as `card_buttons` does."""
    case = await recategorise.choices(
        session=session, services=services, actor=actor, case_id=case_id
    )
    return keyboards.categories(services.renderer, services.group_locale, case)


async def open_listed_card(
    *, session: AsyncSession, services: Services, actor: Actor, case_id: int
) -> bool:
    """Post the card of a case a batch message lists, ahead of the queue; False when it is
    already in the chat. Raises `TransitionError` as `card_buttons` does."""
    await guard.officer_case(session=session, services=services, actor=actor, case_id=case_id)
    return await batching.open_card(session=session, case_id=case_id)


async def case_by_number(*, session: AsyncSession, number: str) -> Case | None:
    """The case an officer names by its number (whether they may act on it is the action's)."""
    return await cases_crud.get_case_by_number(session=session, number=number)
