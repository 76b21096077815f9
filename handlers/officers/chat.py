"""The officers' chats, who in them holds the role, and which case a message is about."""

from __future__ import annotations

from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.filters import Filter
from aiogram.types import (
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import officer_views, pending
from bot.cases.pending import Where
from bot.core.callbacks import CardCB
from bot.core.context import Turn
from bot.domain.workflow import Actor, Role
from handlers.common import Handler, Refused, unless_refused
from storage.models import Case, User

OFFICER_ROLES = frozenset({"officer", "admin"})


class OfficerChat(Filter):
    """True in a chat bound as the officers' (or the sensitive cases') chat."""

    async def __call__(self, event: Message | CallbackQuery, turn: Turn) -> bool:
        message = event.message if isinstance(event, CallbackQuery) else event
        if not isinstance(message, Message) or message.chat.type == "private":
            return False
        return await officer_views.is_officers_chat(session=turn.session, chat_id=message.chat.id)


class OfficersOnly(BaseMiddleware):
    """Members without the officer role may read the chat but change nothing; an officer's
    handler gets them as `actor`, acting from this chat."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        turn: Turn = data["turn"]
        if turn.roles & OFFICER_ROLES:
            data["actor"] = actor_of(turn.sender, turn.roles, _chat_of_event(event))
            return await handler(event, data)
        if isinstance(event, CallbackQuery):
            _ = turn.translate  # named `_` so the message is extracted for translation
            await event.answer(_("Only rights officers can act on cases."), show_alert=True)
        return None


def officers_router(name: str) -> Router:
    """A router that hears only the officers' chats, where only officers may change anything."""
    router = Router(name=name)
    router.message.filter(OfficerChat())
    router.callback_query.filter(OfficerChat())
    router.message.middleware(OfficersOnly())
    router.callback_query.middleware(OfficersOnly())
    return router


async def case_of_message(session: AsyncSession, message: Message) -> Case | None:
    """The case a message in the officers' chat belongs to: by forum topic, else by reply."""
    topic = message.message_thread_id if message.is_topic_message else None
    reply = message.reply_to_message
    return await officer_views.case_in_thread(
        session=session,
        chat_id=message.chat.id,
        topic_id=topic,
        reply_to=reply.message_id if reply is not None else None,
    )


def actor_of(user: User, roles: frozenset[str], chat_id: int | None) -> Actor:
    """An officer (or admin) acting from `chat_id`; the services check both against the case."""
    return Actor(user.id, Role.ADMIN if "admin" in roles else Role.OFFICER, chat_id)


def chat_of(query: CallbackQuery) -> int | None:
    """The chat a button was pressed in (None for a button on an inline message)."""
    message = query.message
    return message.chat.id if isinstance(message, Message | InaccessibleMessage) else None


def _chat_of_event(event: TelegramObject) -> int | None:
    if isinstance(event, CallbackQuery):
        return chat_of(event)
    return event.chat.id if isinstance(event, Message) else None


def where_of(message: Message) -> Where:
    """A prompt about `message` goes to its chat and forum topic, as a reply to it."""
    thread = message.message_thread_id if message.is_topic_message else None
    return Where(message.chat.id, thread, message.message_id)


async def replace_buttons(query: CallbackQuery, markup: dict[str, Any] | None) -> None:
    """The pressed card's buttons become `markup` (none for None)."""
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(
            reply_markup=InlineKeyboardMarkup.model_validate(markup) if markup else None
        )


async def ask_for_text(
    query: CallbackQuery,
    turn: Turn,
    actor: Actor,
    action: str,
    *,
    case_id: int | None = None,
    part_id: int | None = None,
) -> None:
    """A button whose action needs words: the bot asks for them in a reply to the pressed card."""
    _ = turn.translate
    if not isinstance(query.message, Message):
        await query.answer(_("This step is over."), show_alert=True)
        return
    asked = pending.ask(
        session=turn.session,
        services=turn.services,
        actor=actor,
        action=action,
        where=where_of(query.message),
        case_id=case_id,
        part_id=part_id,
    )
    if await unless_refused(query, _, asked) is Refused.REFUSED:
        return
    await query.answer(_("Reply to the bot's request with the text."))


async def ask_case_text(
    query: CallbackQuery, callback_data: CardCB, turn: Turn, actor: Actor
) -> None:
    """A case card's button whose action needs words."""
    action, case_id = callback_data.action, callback_data.case_id
    await ask_for_text(query, turn, actor, action, case_id=case_id)
