"""The committee: /digest, the current week so far, in the committee chat or for a committee
reader or an admin, wherever they ask."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.core.context import Turn
from bot.core.render import Translate
from bot.digest import on_demand
from bot.domain.roles import ADMIN, READER

# Who may ask for it anywhere (in private, to themselves): it reads, it changes nothing.
READERS = frozenset({ADMIN, READER})


def build_router() -> Router:
    router = Router(name="committee")
    router.message.register(digest, Command("digest"))
    return router


async def digest(message: Message, turn: Turn, _: Translate) -> None:
    queued = await on_demand.week_so_far(
        session=turn.session,
        services=turn.services,
        chat_id=message.chat.id,
        by_reader=bool(READERS & turn.roles),
    )
    if not queued:
        await message.reply(
            _("Only the committee chat, a committee reader or an admin can ask for the digest.")
        )
