"""/board: the published grievances and suggestions (我也遇到 / 支持 +1), newest or most
supported, by category, or searched (/board words); one of them opened from the link under its
channel post (/start concern_<id>); and the student's answer to the public wording of theirs."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.concerns import board, keyboards, publication
from bot.concerns.board import BoardPage
from bot.core.callbacks import ConcernCB
from bot.core.context import Turn
from bot.core.render import Translate
from bot.domain.workflow import TransitionError
from handlers.common import (
    SUBMITS,
    close_buttons,
    consented_router,
    error_text,
    private_router,
    send_privacy_notice,
    show_in_place,
)
from storage.models import Case, CasePublication


async def board_command(message: Message, command: CommandObject, turn: Turn) -> None:
    shown = await board.board_page(session=turn.session, words=(command.args or "").strip())
    text, markup = _page(turn, shown)
    await message.answer(text, reply_markup=markup)


async def page(query: CallbackQuery, callback_data: ConcernCB, turn: Turn) -> None:
    shown = await board.board_page(
        session=turn.session,
        page=callback_data.page,
        order=callback_data.order,
        category=callback_data.category,
    )
    text, markup = _page(turn, shown)
    with contextlib.suppress(TelegramBadRequest):  # the same page pressed again
        await show_in_place(query, text, markup)


async def categories(query: CallbackQuery, callback_data: ConcernCB, turn: Turn) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        markup = keyboards.categories(turn.services.renderer, turn.locale, callback_data.order)
        await query.message.edit_reply_markup(
            reply_markup=InlineKeyboardMarkup.model_validate(markup)
        )


async def open_case(
    query: CallbackQuery, callback_data: ConcernCB, turn: Turn, _: Translate
) -> None:
    shown = await publication.public_case(session=turn.session, case_id=callback_data.case_id)
    if shown is None:
        await query.answer(_("This case is not public (any more)."), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        text, markup = _detail(turn, *shown)
        await query.message.answer(text, reply_markup=markup)


async def open_link(message: Message, command: CommandObject, turn: Turn, _: Translate) -> None:
    if turn.sender.consent_at is None:
        await send_privacy_notice(message, turn)
        return
    case_id = int((command.args or "").removeprefix(publication.PAYLOAD_PREFIX))
    shown = await publication.public_case(session=turn.session, case_id=case_id)
    if shown is None:
        await message.answer(_("This case is not public (any more)."))
        return
    text, markup = _detail(turn, *shown)
    await message.answer(text, reply_markup=markup)


async def me_too(query: CallbackQuery, callback_data: ConcernCB, turn: Turn, _: Translate) -> None:
    try:
        supported = await publication.support(
            session=turn.session,
            services=turn.services,
            user_id=turn.sender.id,
            case_id=callback_data.case_id,
        )
    except TransitionError as exc:
        await query.answer(error_text(_, exc), show_alert=True)
        return
    if not supported.new:
        await query.answer(error_text(_, TransitionError("already_supported")), show_alert=True)
        return
    await query.answer(
        _("Thank you! You will hear of every change of this case and its answer."),
        show_alert=True,
    )
    if isinstance(query.message, Message):
        text, markup = _detail(turn, supported.case, supported.publication, supported.supports)
        with contextlib.suppress(TelegramBadRequest):
            await query.message.edit_text(text, reply_markup=markup)


async def answer(query: CallbackQuery, callback_data: ConcernCB, turn: Turn, _: Translate) -> None:
    accept = callback_data.action == "ok"
    try:
        case = await publication.answer(
            session=turn.session,
            services=turn.services,
            user_id=turn.sender.id,
            case_id=callback_data.case_id,
            accept=accept,
        )
    except TransitionError as exc:
        await query.answer(error_text(_, exc), show_alert=True)
        return
    await close_buttons(query, _("Published") if accept else _("Kept private"))
    if isinstance(query.message, Message):
        await query.message.answer(
            turn.render("concerns/student_answered.html", case=case, accepted=accept)
        )


def _page(turn: Turn, shown: BoardPage) -> tuple[str, InlineKeyboardMarkup]:
    category = turn.services.org.category(shown.category) if shown.category else None
    text = turn.render("concerns/board.html", board=shown, category=category)
    markup = keyboards.board(
        turn.services.renderer,
        turn.locale,
        [item.case for item in shown.items],
        page=shown.page,
        has_next=shown.has_next,
        order=shown.order,
        category=shown.category,
    )
    return text, InlineKeyboardMarkup.model_validate(markup)


def _detail(
    turn: Turn, case: Case, public: CasePublication, supports: int
) -> tuple[str, InlineKeyboardMarkup]:
    text = turn.render(
        "concerns/public_detail.html",
        case=case,
        publication=public,
        supports=supports,
        category=turn.services.org.category(case.category_code),
    )
    markup = keyboards.detail(turn.services.renderer, turn.locale, case, supports)
    return text, InlineKeyboardMarkup.model_validate(markup)


def build_router() -> Router:
    router = consented_router("concerns")
    router.message.register(board_command, Command("board"))
    router.callback_query.register(page, ConcernCB.filter(F.action == "page"))
    router.callback_query.register(categories, ConcernCB.filter(F.action == "cats"))
    router.callback_query.register(open_case, ConcernCB.filter(F.action == "open"))
    # A +1 and the answer to the public wording are the student's own say: the notice in force.
    router.callback_query.register(me_too, ConcernCB.filter(F.action == "me"), flags=SUBMITS)
    router.callback_query.register(
        answer, ConcernCB.filter(F.action.in_({"ok", "no"})), flags=SUBMITS
    )
    return router


def build_link_router() -> Router:
    router = private_router("concern_link")
    prefix = publication.PAYLOAD_PREFIX
    router.message.register(
        open_link, CommandStart(deep_link=True, magic=F.args.regexp(rf"^{prefix}\d+$"))
    )
    return router
