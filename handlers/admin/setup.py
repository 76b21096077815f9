"""Admins: binding chats to their purpose and giving people the officer role; the bot's own
membership of chats (a user blocking it, the bot removed from a bound chat, a group becoming a
supergroup)."""

from __future__ import annotations

import html
from collections.abc import Callable

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import ChatMemberUpdated, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import lost_chats
from bot.core.context import Services
from bot.domain.chats import OFFICERS, SENSITIVE
from storage.crud import users as users_crud
from storage.models import User

Translate = Callable[[str], str]
PURPOSES = {
    "": OFFICERS,
    "officers": OFFICERS,
    "sensitive": SENSITIVE,
    "committee": lost_chats.COMMITTEE,
}


def build_router() -> Router:
    router = Router(name="admin")
    router.message.filter(F.chat.type.in_({"group", "supergroup"}))

    @router.message(Command("bind"))
    async def bind(
        message: Message,
        command: CommandObject,
        session: AsyncSession,
        roles: frozenset[str],
        services: Services,
        _: Translate,
    ) -> None:
        if "admin" not in roles:
            await message.reply(_("Only admins can do this."))
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

    @router.message(F.migrate_to_chat_id)
    async def migrated(message: Message, session: AsyncSession, services: Services) -> None:
        assert message.migrate_to_chat_id is not None
        await lost_chats.migrated(
            session=session, services=services, old=message.chat.id, new=message.migrate_to_chat_id
        )

    @router.message(Command("officer", "unofficer"))
    async def officer(
        message: Message,
        command: CommandObject,
        session: AsyncSession,
        user: User,
        roles: frozenset[str],
        _: Translate,
    ) -> None:
        if "admin" not in roles:
            await message.reply(_("Only admins can do this."))
            return
        target = _target(message, command)
        if target is None:
            await message.reply(
                _("Reply to a message of the person, or give their numeric id: /officer 123456")
            )
            return
        target_id, name = target
        shown = html.escape(name, quote=False)  # a Telegram name is user text, sent as HTML
        if command.command == "officer":
            existing = await users_crud.get_user(session=session, user_id=target_id)
            if existing is None:
                await users_crud.upsert_user(
                    session=session,
                    user_id=target_id,
                    first_name=name,
                    last_name=None,
                    username=None,
                    language_code=None,
                )
            await users_crud.grant_role(
                session=session, user_id=target_id, role="officer", granted_by=user.id
            )
            await message.reply(_("%(name)s is now a rights officer.") % {"name": shown})
        else:
            await users_crud.revoke_role(session=session, user_id=target_id, role="officer")
            await message.reply(_("%(name)s is no longer a rights officer.") % {"name": shown})

    @router.my_chat_member(F.chat.type == "private", F.new_chat_member.status == "kicked")
    async def blocked(
        event: ChatMemberUpdated, session: AsyncSession, user: User, services: Services
    ) -> None:
        # Known now, no queued message to this user costs a request that can only fail.
        # Whatever the user does next in private lifts it (UserMiddleware).
        await users_crud.set_unreachable(session=session, user_id=user.id, when=services.now())

    @router.my_chat_member(F.chat.type.in_({"group", "supergroup", "channel"}))
    async def membership(
        event: ChatMemberUpdated, session: AsyncSession, services: Services
    ) -> None:
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

    return router


def _target(message: Message, command: CommandObject) -> tuple[int, str] | None:
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and not reply.from_user.is_bot:
        return reply.from_user.id, reply.from_user.full_name
    args = (command.args or "").strip()
    if args.lstrip("-").isdigit():
        return int(args), args
    return None
