"""/digest: the current week so far, for the committee chat, a committee reader or an admin."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.delivery import notify
from bot.digest.build import generate, queue
from bot.digest.periods import week_of
from bot.domain.chats import COMMITTEE
from storage.crud import users as users_crud


async def week_so_far(
    *, session: AsyncSession, services: Services, chat_id: int, by_reader: bool
) -> bool:
    """Queue this week's digest so far to `chat_id`; False, and nothing queued, when that is
    not the committee chat and neither a committee reader nor an admin asked."""
    binding = await users_crud.get_binding(session=session, purpose=COMMITTEE)
    committee = binding.chat_id if binding else services.settings.committee_chat_id
    if chat_id != committee and not by_reader:
        return False
    now = services.now()
    period = week_of(now.astimezone(services.renderer.tz).date())
    rendered = await generate(
        session=session, services=services, period=period, now=now, so_far=True
    )
    await queue(
        session=session,
        services=services,
        rendered=rendered,
        chat_id=chat_id,
        priority=notify.INTERACTIVE,
    )
    return True
