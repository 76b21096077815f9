"""The committee: /digest, the current week so far, in the committee chat or for an admin."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.delivery import notify
from bot.digest.build import generate, queue
from bot.digest.periods import week_of
from bot.domain.chats import COMMITTEE
from storage.crud import users as users_crud

Translate = Callable[[str], str]


def build_router() -> Router:
    router = Router(name="committee")

    @router.message(Command("digest"))
    async def digest(
        message: Message,
        session: AsyncSession,
        roles: frozenset[str],
        services: Services,
        _: Translate,
    ) -> None:
        binding = await users_crud.get_binding(session=session, purpose=COMMITTEE)
        committee = binding.chat_id if binding else services.settings.committee_chat_id
        if message.chat.id != committee and "admin" not in roles:
            await message.reply(_("Only the committee chat or an admin can ask for the digest."))
            return
        now = services.now()
        period = week_of(now.astimezone(services.renderer.tz).date())
        rendered = await generate(
            session=session, services=services, period=period, now=now, so_far=True
        )
        await queue(
            session=session,
            services=services,
            rendered=rendered,
            chat_id=message.chat.id,
            priority=notify.INTERACTIVE,
        )

    return router
