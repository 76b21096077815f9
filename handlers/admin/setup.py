"""Admins: binding chats to their purpose and giving people the officer role; the bot's own
membership of chats (a user blocking it, the bot removed from a bound chat, a group becoming a
supergroup)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import ChatMemberUpdated, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import lost_chats, officer_roster
from bot.core.context import Services
from bot.core.render import Translate
from bot.delivery import recipients
from bot.domain.chats import OFFICERS, SENSITIVE
from handlers.common import admins_only, replied_person, shown_name
from storage.models import User

PURPOSES = {
    "": OFFICERS,
    "officers": OFFICERS,
    "sensitive": SENSITIVE,
    "committee": lost_chats.COMMITTEE,
}


def build_router() -> Router:
    router = Router(name="admin")
    router.message.filter(F.chat.type.in_({"group", "supergroup"}))
    router.message.register(bind, Command("bind"))
    router.message.register(migrated, F.migrate_to_chat_id)
    router.message.register(appoint, Command("officer"))
    router.message.register(dismiss, Command("unofficer"))
    router.my_chat_member.register(
        blocked, F.chat.type == "private", F.new_chat_member.status == "kicked"
    )
    router.my_chat_member.register(membership, F.chat.type.in_({"group", "supergroup", "channel"}))
    return router


async def bind(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    roles: frozenset[str],
    services: Services,
    _: Translate,
) -> None:
    if not await admins_only(message, roles, _):
        return
    purpose = PURPOSES.get((command.args or "").strip().lower())
    if purpose is None:
        await message.reply(_("Usage: /bind, /bind sensitive or /bind committee"))
        return
    is_forum = bool(message.chat.is_forum)
    await lost_chats.bind(
        session=session,
        services=services,
        purpose=purpose,
        chat_id=message.chat.id,
        is_forum=is_forum,
        title=message.chat.title,
    )
    await message.reply(
        services.renderer.render(
            services.group_locale, "group/bound.html", purpose=purpose, is_forum=is_forum
        )
    )


async def migrated(message: Message, session: AsyncSession, services: Services) -> None:
    assert message.migrate_to_chat_id is not None
    await lost_chats.migrated(
        session=session, services=services, old=message.chat.id, new=message.migrate_to_chat_id
    )


async def appoint(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    user: User,
    roles: frozenset[str],
    _: Translate,
) -> None:
    target = await _whom(message, command, roles, _)
    if target is None:
        return
    target_id, name = target
    await officer_roster.appoint(session=session, user_id=target_id, name=name, granted_by=user.id)
    await message.reply(_("%(name)s is now a rights officer.") % {"name": shown_name(name)})


async def dismiss(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    roles: frozenset[str],
    _: Translate,
) -> None:
    target = await _whom(message, command, roles, _)
    if target is None:
        return
    target_id, name = target
    await officer_roster.dismiss(session=session, user_id=target_id)
    await message.reply(_("%(name)s is no longer a rights officer.") % {"name": shown_name(name)})


async def blocked(
    event: ChatMemberUpdated, session: AsyncSession, user: User, services: Services
) -> None:
    await recipients.blocked(session=session, services=services, user_id=user.id)


async def membership(event: ChatMemberUpdated, session: AsyncSession, services: Services) -> None:
    status, chat = event.new_chat_member.status, event.chat
    if status in lost_chats.REMOVED:
        await lost_chats.lose(
            session=session, services=services, chat_id=chat.id, reason=status, title=chat.title
        )
    elif status == "administrator" and chat.type == "channel":
        # A channel has no /bind: made its administrator again, the bot takes it back.
        await lost_chats.channel_back(
            session=session, services=services, chat_id=chat.id, title=chat.title
        )


async def _whom(
    message: Message, command: CommandObject, roles: frozenset[str], _: Translate
) -> tuple[int, str] | None:
    """Whom an admin's /officer or /unofficer is about: (id, name); None once the sender has
    been told why not."""
    if not await admins_only(message, roles, _):
        return None
    replied = replied_person(message)
    if replied is not None:
        return replied
    args = (command.args or "").strip()
    if args.lstrip("-").isdigit():
        return int(args), args
    await message.reply(
        _("Reply to a message of the person, or give their numeric id: /officer 123456")
    )
    return None
