"""/proposals: the current session's registered proposals for every student to read, follow
(then hear of every public change) and support (+1, once); one of them opened from the link
under its post in the public channel (/start proposal_<id>)."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.callbacks import PublicCB
from bot.core.context import Turn
from bot.core.render import Translate
from bot.proposals import keyboards as kbs
from bot.proposals import public_board
from bot.proposals.core import PUBLIC_PREFIX, board_link
from bot.proposals.public_board import BoardPage, PublicProposal
from handlers.common import (
    SUBMITS,
    consented_router,
    private_router,
    send_privacy_notice,
    show_in_place,
)


async def proposals(message: Message, turn: Turn) -> None:
    board = await public_board.board_page(session=turn.session, services=turn.services, page=0)
    text, markup = _page(turn, board)
    await message.answer(text, reply_markup=markup)


async def open_link(message: Message, command: CommandObject, turn: Turn, _: Translate) -> None:
    if turn.sender.consent_at is None:
        # Most readers of the channel arrive here first: using the bot begins with the notice.
        await send_privacy_notice(message, turn)
        return
    shown = await public_board.act(
        session=turn.session,
        services=turn.services,
        user_id=turn.sender.id,
        case_id=int((command.args or "").removeprefix(PUBLIC_PREFIX)),
        action="open",
    )
    if shown is None:
        await message.answer(_("This case no longer exists."))
        return
    text, markup = _detail(turn, shown)
    await message.answer(text, reply_markup=markup)


async def page(query: CallbackQuery, callback_data: PublicCB, turn: Turn) -> None:
    board = await public_board.board_page(
        session=turn.session, services=turn.services, page=max(callback_data.page, 0)
    )
    text, markup = _page(turn, board)
    await show_in_place(query, text, markup)


async def act(query: CallbackQuery, callback_data: PublicCB, turn: Turn, _: Translate) -> None:
    action = callback_data.action
    shown = await public_board.act(
        session=turn.session,
        services=turn.services,
        user_id=turn.sender.id,
        case_id=callback_data.case_id,
        action=action,
    )
    if shown is None:
        await query.answer(_("This case no longer exists."), show_alert=True)
        return
    await query.answer(_toast(_, action, shown), show_alert=action == "support")
    if isinstance(query.message, Message):
        text, markup = _detail(turn, shown)
        await _show(query.message, text, markup, anew=action == "open")


async def _show(message: Message, text: str, markup: InlineKeyboardMarkup, *, anew: bool) -> None:
    if anew:
        await message.answer(text, reply_markup=markup)
        return
    # Pressed twice, support changes nothing: Telegram refuses such an edit.
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_text(text, reply_markup=markup)


def _toast(_: Translate, action: str, shown: PublicProposal) -> str | None:
    if action == "follow":
        return _("You will be told of every change of this proposal.")
    if action == "unfollow":
        return _("You no longer follow this proposal.")
    if action == "support":
        if shown.new_support:
            return _("Thank you for your support!")
        return _("You have already supported this proposal.")
    return None


def _page(turn: Turn, board: BoardPage) -> tuple[str, InlineKeyboardMarkup | None]:
    text = turn.render(
        "proposal/public_list.html",
        congress=board.congress,
        items=board.items,
        total=board.total,
    )
    items = [item.case for item in board.items]
    web = board_link(turn.services.settings.board_url, locale=turn.locale)
    keyboard = kbs.public_list(
        turn.services.renderer, turn.locale, items, board.page, board.has_next, web_link=web
    )
    return text, InlineKeyboardMarkup.model_validate(keyboard) if keyboard else None


def _detail(turn: Turn, shown: PublicProposal) -> tuple[str, InlineKeyboardMarkup]:
    text = turn.render("proposal/public_detail.html", v=shown.view)
    keyboard = kbs.public_detail(
        turn.services.renderer,
        turn.locale,
        shown.view.case,
        following=shown.following,
        supports=shown.view.supports,
        web_link=board_link(turn.services.settings.board_url, shown.view.case.number, turn.locale),
    )
    return text, InlineKeyboardMarkup.model_validate(keyboard)


def build_router() -> Router:
    router = consented_router("public")
    router.message.register(proposals, Command("proposals"))
    router.callback_query.register(page, PublicCB.filter(F.action == "page"))
    # A +1 is something new from the student; opening and following only read.
    router.callback_query.register(act, PublicCB.filter(F.action == "support"), flags=SUBMITS)
    router.callback_query.register(act, PublicCB.filter(F.action.in_(public_board.ACTIONS)))
    return router


def build_link_router() -> Router:
    """Before the representatives' deep links, which take every other /start payload."""
    router = private_router("public_link")
    link = CommandStart(deep_link=True, magic=F.args.regexp(rf"^{PUBLIC_PREFIX}\d+$"))
    router.message.register(open_link, link)
    return router
