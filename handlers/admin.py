"""Admins: binding chats to their purpose and giving people the officer role; the bot's own
membership of chats (a user blocking it included)."""

from __future__ import annotations

import html
from collections.abc import Callable

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import ChatMemberUpdated, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.cards import OFFICERS, SENSITIVE
from bot.services.context import Services
from storage.crud import outbox as outbox_crud
from storage.crud import users as users_crud
from storage.models import User

Translate = Callable[[str], str]
PURPOSES = {"": OFFICERS, "officers": OFFICERS, "sensitive": SENSITIVE}


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
            await message.reply(_("Usage: /bind or /bind sensitive"))
            return
        is_forum = bool(message.chat.is_forum)
        await users_crud.set_binding(
            session=session,
            purpose=purpose,
            chat_id=message.chat.id,
            is_forum=is_forum,
            title=message.chat.title,
        )
        # Cards of cases that came in before any chat was bound were waiting for this one.
        await outbox_crud.wake_chat_rows(session=session, now=services.now())
        await message.reply(
            services.renderer.render(
                services.group_locale, "group/bound.html", purpose=purpose, is_forum=is_forum
            )
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

    return router


def _target(message: Message, command: CommandObject) -> tuple[int, str] | None:
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and not reply.from_user.is_bot:
        return reply.from_user.id, reply.from_user.full_name
    args = (command.args or "").strip()
    if args.lstrip("-").isdigit():
        return int(args), args
    return None
