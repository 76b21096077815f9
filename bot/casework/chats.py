"""Where a case lives among the officers' chats."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.domain import levels
from bot.domain.chats import OFFICERS, SENSITIVE
from storage.crud import users as users_crud
from storage.models import Case, ChatBinding


def is_sensitive(services: Services, case: Case) -> bool:
    category = services.org.category(case.category_code)
    return category is not None and category.sensitive


async def binding_for(
    *, session: AsyncSession, services: Services, case: Case
) -> ChatBinding | None:
    """A sensitive category's cases go to the sensitive chat when one is bound (never to a
    college union's); a case at college level to its college union's chat."""
    if is_sensitive(services, case):
        sensitive = await users_crud.get_binding(session=session, purpose=SENSITIVE)
        if sensitive is not None:
            return sensitive
        return await users_crud.get_binding(session=session, purpose=OFFICERS)
    if case.level == levels.COLLEGE and case.college_code:
        return await college_binding(session=session, college=case.college_code)
    return await users_crud.get_binding(session=session, purpose=OFFICERS)


async def college_binding(*, session: AsyncSession, college: str) -> ChatBinding | None:
    return await users_crud.get_binding(session=session, purpose=levels.purpose_of(college))


async def college_of_chat(*, session: AsyncSession, chat_id: int) -> str | None:
    """The college whose union's chat this is, if it is one."""
    for binding in await users_crud.bindings_of_chat(session=session, chat_id=chat_id):
        college = levels.college_of_purpose(binding.purpose)
        if college is not None:
            return college
    return None


async def unions_bound(*, session: AsyncSession) -> bool:
    """Whether any college union has a chat bound (then the university's cards offer 下派)."""
    return any(
        levels.college_of_purpose(b.purpose) is not None
        for b in await users_crud.bindings(session=session)
    )


async def sensitive_kept_elsewhere(*, session: AsyncSession, chat_id: int) -> bool:
    """Whether a sensitive case's words belong in another chat than this one: a sensitive chat
    is bound, and it is not this one."""
    sensitive = await users_crud.get_binding(session=session, purpose=SENSITIVE)
    return sensitive is not None and sensitive.chat_id != chat_id
