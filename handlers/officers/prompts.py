"""The officers' chat: replies to the bot's prompts (an answer, a reason, a comment, a case
number) and the preview's 发送 / 修改 / 取消. Only a reply to a prompt is ever taken."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command, Filter
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.cases import pending
from bot.cases.pending import Outcome
from bot.core.callbacks import PendingCB
from bot.core.context import Turn
from bot.core.render import Translate
from bot.domain.text import N_
from bot.domain.workflow import Actor, TransitionError
from handlers.common import NOT_COMMAND, error_text
from handlers.officers.chat import where_of
from storage.models import PendingInput

REFUSED = {
    Outcome.NOT_YOURS: N_("This request was made to another officer; press the button yourself."),
    Outcome.CLOSED: N_("This request is no longer open; press the button on the card again."),
    Outcome.EXPIRED: N_("This request has expired and nothing was sent; press the button again."),
}
DONE = {
    Outcome.APPLIED: N_("Sent."),
    Outcome.ASKED: N_("Reply to the new request with the text."),
    Outcome.CANCELLED: N_("Cancelled; nothing was sent."),
}


class PromptReply(Filter):
    """A reply to one of the bot's prompts in this chat; the handler gets it as `asked`."""

    async def __call__(self, message: Message, turn: Turn) -> bool | dict[str, Any]:
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or not replied.from_user.is_bot:
            return False
        found = await pending.for_reply(
            session=turn.session, chat_id=message.chat.id, message_id=replied.message_id
        )
        return False if found is None else {"asked": found}


def build_router() -> Router:
    router = Router(name="officer_inputs")
    router.message.register(cancel, Command("cancel"))
    router.message.register(reply_to_prompt, PromptReply(), NOT_COMMAND)
    router.callback_query.register(preview_button, PendingCB.filter())
    return router


async def cancel(message: Message, turn: Turn, _: Translate) -> None:
    dropped = await pending.cancel_all(
        session=turn.session, officer_id=turn.sender.id, chat_id=message.chat.id
    )
    await message.reply(_("Cancelled.") if dropped else _("Nothing to cancel."))


async def reply_to_prompt(
    message: Message, asked: PendingInput, turn: Turn, actor: Actor, _: Translate
) -> None:
    if not message.text:
        await message.reply(_("Please reply with text."))
        return
    try:
        outcome = await pending.receive(
            session=turn.session,
            services=turn.services,
            actor=actor,
            pending=asked,
            text=message.text,
        )
    except TransitionError as exc:
        await message.reply(error_text(_, exc))
        return
    if outcome in REFUSED:
        await message.reply(_(REFUSED[outcome]))
    elif outcome == Outcome.PREVIEW:
        await _show_preview(message, turn, asked)


async def preview_button(
    query: CallbackQuery, callback_data: PendingCB, turn: Turn, actor: Actor, _: Translate
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer(_("This step is over."), show_alert=True)
        return
    try:
        outcome = await _press(turn, actor, callback_data, message)
    except TransitionError as exc:
        await query.answer(error_text(_, exc), show_alert=True)
        await message.edit_reply_markup(reply_markup=None)
        return
    if outcome == Outcome.NOT_YOURS:
        await query.answer(_(REFUSED[outcome]), show_alert=True)
        return
    text = DONE.get(outcome) or REFUSED[outcome]
    await query.answer(_(text), show_alert=outcome in REFUSED)
    await message.edit_reply_markup(reply_markup=None)


async def _show_preview(message: Message, turn: Turn, asked: PendingInput) -> None:
    shown = await pending.preview(session=turn.session, services=turn.services, pending=asked)
    for part in pending.preview_messages(turn.services, shown):
        markup = part.get("reply_markup")
        await message.reply(
            part["text"],
            reply_markup=InlineKeyboardMarkup.model_validate(markup) if markup else None,
        )


async def _press(turn: Turn, actor: Actor, callback_data: PendingCB, message: Message) -> Outcome:
    """发送 sends the previewed text, 修改 asks for it again, 取消 drops it."""
    pending_id = callback_data.pending_id
    if callback_data.op == "send":
        return await pending.confirm(
            session=turn.session, services=turn.services, actor=actor, pending_id=pending_id
        )
    if callback_data.op == "edit":
        return await pending.revise(
            session=turn.session,
            services=turn.services,
            actor=actor,
            pending_id=pending_id,
            where=where_of(message),
        )
    return await pending.cancel(
        session=turn.session, services=turn.services, actor=actor, pending_id=pending_id
    )
