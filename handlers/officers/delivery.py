"""The officers' chat and the delivery engine: opening a case listed in a batch message, and
`/failed` (admins) — what could not be delivered, with buttons to send it again."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.cases import officer_views
from bot.core.callbacks import CardCB
from bot.core.context import Turn
from bot.core.render import Translate
from bot.delivery import admin, batching
from bot.domain.workflow import Actor
from handlers.common import Refused, admins_only, unless_refused
from handlers.officers.chat import officers_router


def build_router() -> Router:
    router = officers_router("delivery")
    router.callback_query.register(open_card, CardCB.filter(F.action == batching.OPEN))
    router.message.register(failed, Command("failed"))
    router.callback_query.register(retry, admin.OutboxCB.filter())
    return router


async def open_card(
    query: CallbackQuery, callback_data: CardCB, turn: Turn, actor: Actor, _: Translate
) -> None:
    opened = officer_views.open_listed_card(
        session=turn.session, services=turn.services, actor=actor, case_id=callback_data.case_id
    )
    queued = await unless_refused(query, _, opened)
    if queued is Refused.REFUSED:
        return
    await query.answer(_("The card is on its way.") if queued else _("The card is posted."))


async def failed(message: Message, turn: Turn) -> None:
    if not await admins_only(message, turn):
        return
    items, total = await admin.failed(session=turn.session)
    await message.answer(**admin.view(turn.services, items, total))


async def retry(
    query: CallbackQuery, callback_data: admin.OutboxCB, turn: Turn, _: Translate
) -> None:
    if "admin" not in turn.roles:
        await query.answer(_("Only admins can do this."), show_alert=True)
        return
    ids = None if callback_data.action == "retry_all" else [callback_data.row_id]
    count = await admin.retry(session=turn.session, services=turn.services, ids=ids)
    await query.answer(_("Queued again: %(count)s") % {"count": count})
    if isinstance(query.message, Message):
        await _show_failed_again(query.message, turn)


async def _show_failed_again(message: Message, turn: Turn) -> None:
    """The /failed list, as it is after a retry, in place of the one whose button was pressed."""
    items, total = await admin.failed(session=turn.session)
    view = admin.view(turn.services, items, total)
    markup = view.get("reply_markup")
    await message.edit_text(
        view["text"], reply_markup=InlineKeyboardMarkup.model_validate(markup) if markup else None
    )
