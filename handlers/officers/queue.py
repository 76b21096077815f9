"""`/queue` and its buttons, and who answers for a case: 认领, 指派 / 改派, 取消认领."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.cases import assignment
from bot.cases import queue as queue_views
from bot.core.callbacks import CardCB, OwnerCB, QueueCB
from bot.core.context import Turn
from bot.core.render import Translate
from bot.domain.workflow import Actor
from handlers.common import Refused, done_unless_refused, show_in_place, unless_refused
from handlers.officers.chat import replace_buttons


def build_router() -> Router:
    """Included in the officers' router, which hears only their chats and only officers."""
    router = Router(name="officer_queue")
    router.message.register(queue, Command("queue"))
    router.callback_query.register(queue_page, QueueCB.filter())
    router.callback_query.register(claim, CardCB.filter(F.action.in_(["claim", "unclaim"])))
    router.callback_query.register(choose_officer, CardCB.filter(F.action == "pick"))
    router.callback_query.register(give, OwnerCB.filter())
    return router


async def queue(message: Message, command: CommandObject, turn: Turn, _: Translate) -> None:
    try:
        request = queue_views.read_request(turn.services, command.args or "")
    except queue_views.CannotQueue as refused:
        await message.reply(
            _(
                "Unknown list or filter: %(value)s. Try /queue mine, unassigned, overdue, "
                "category:… college:…."
            )
            % {"value": refused.value}
        )
        return
    listed = await queue_views.queue_view(
        session=turn.session,
        services=turn.services,
        chat_id=message.chat.id,
        viewer_id=turn.sender.id,
        request=request,
    )
    await message.answer(
        listed.text, reply_markup=InlineKeyboardMarkup.model_validate(listed.markup)
    )


async def queue_page(
    query: CallbackQuery, callback_data: QueueCB, turn: Turn, _: Translate
) -> None:
    """A list or page button: the list drawn again for this chat and whoever pressed, in place."""
    shown = query.message
    try:
        request = queue_views.from_button(turn.services, callback_data)
    except queue_views.CannotQueue:
        request = None
    if request is None or not isinstance(shown, Message):
        await query.answer(_("This list is out of date; send /queue again."), show_alert=True)
        return
    listed = await queue_views.queue_view(
        session=turn.session,
        services=turn.services,
        chat_id=shown.chat.id,
        viewer_id=query.from_user.id,
        request=request,
    )
    await show_in_place(query, listed.text, InlineKeyboardMarkup.model_validate(listed.markup))


async def claim(query: CallbackQuery, callback_data: CardCB, turn: Turn, actor: Actor) -> None:
    """认领 gives the case to whoever pressed; 取消认领 to nobody."""
    taking = callback_data.action == "claim"
    given = assignment.assign(
        session=turn.session,
        services=turn.services,
        actor=actor,
        case_id=callback_data.case_id,
        assignee_id=actor.user_id if taking else None,
    )
    await done_unless_refused(query, turn.translate, given)


async def choose_officer(
    query: CallbackQuery, callback_data: CardCB, turn: Turn, actor: Actor, _: Translate
) -> None:
    """指派 / 改派 shows the chat's officers on the card; 取消 brings its own buttons back."""
    offered = assignment.choices(
        session=turn.session, services=turn.services, actor=actor, case_id=callback_data.case_id
    )
    markup = await unless_refused(query, _, offered)
    if markup is Refused.REFUSED:
        return
    await query.answer(_("Choose the officer"))
    await replace_buttons(query, markup)


async def give(query: CallbackQuery, callback_data: OwnerCB, turn: Turn, actor: Actor) -> None:
    given = assignment.assign(
        session=turn.session,
        services=turn.services,
        actor=actor,
        case_id=callback_data.case_id,
        assignee_id=callback_data.user_id or None,
    )
    await done_unless_refused(query, turn.translate, given)
