"""Where a case lives among the officers' chats."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.domain.chats import OFFICERS, SENSITIVE
from storage.crud import users as users_crud
from storage.models import Case, ChatBinding


async def binding_for(
    *, session: AsyncSession, services: Services, case: Case
) -> ChatBinding | None:
    """A sensitive category's cases go to the sensitive chat when one is bound."""
    category = services.org.category(case.category_code)
    if category is not None and category.sensitive:
        sensitive = await users_crud.get_binding(session=session, purpose=SENSITIVE)
        if sensitive is not None:
            return sensitive
    return await users_crud.get_binding(session=session, purpose=OFFICERS)
