"""A published case's post in the public channel: its public wording alone, edited in place as
the case moves (rendered when the outbox row is sent, so changes queued together make one)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from bot.concerns import keyboards, publication
from bot.core.context import Services
from storage.models import CasePublication


def start_link(username: str | None, case_id: int) -> str:
    return f"https://t.me/{username or '<bot>'}?start={publication.PAYLOAD_PREFIX}{case_id}"


async def publish(
    bot: Bot, services: Services, session_factory: async_sessionmaker[AsyncSession], case_id: int
) -> Any:
    channel = services.settings.public_channel_id
    if channel is None:
        return True
    async with session_factory() as session:
        shown = await publication.public_case(session=session, case_id=case_id)
    if shown is None:
        # Merged, rejected or never published: its post (if any) stays as it last was.
        return True
    case, public, supports = shown
    locale = services.group_locale
    text = services.renderer.render(
        locale,
        "concerns/channel_post.html",
        case=case,
        publication=public,
        supports=supports,
        category=services.org.category(case.category_code),
    )
    username = services.settings.bot_username or (await bot.me()).username
    markup = InlineKeyboardMarkup.model_validate(
        keyboards.channel_post(
            services.renderer, locale, start_link(username, case_id), case, supports
        )
    )
    if public.channel_message_id is not None and public.channel_chat_id == channel:
        try:
            return await bot(
                EditMessageText(
                    chat_id=channel,
                    message_id=public.channel_message_id,
                    text=text,
                    parse_mode="HTML",
                    reply_markup=markup,
                )
            )
        except TelegramBadRequest as exc:
            if "not modified" in exc.message:
                return True
            raise
    message = await bot(
        SendMessage(chat_id=channel, text=text, parse_mode="HTML", reply_markup=markup)
    )
    async with session_factory.begin() as session:
        await session.execute(
            update(CasePublication)
            .where(col(CasePublication.case_id) == case_id)
            .values(channel_chat_id=channel, channel_message_id=message.message_id)
        )
    return message
