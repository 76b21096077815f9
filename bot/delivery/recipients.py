"""People who blocked the bot."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from storage.crud import users as users_crud


async def blocked(*, session: AsyncSession, services: Services, user_id: int) -> None:
    """Known now, no queued message to this user costs a request that can only fail. Whatever
    the user does next in private lifts it (`UserMiddleware`)."""
    await users_crud.set_unreachable(session=session, user_id=user_id, when=services.now())
