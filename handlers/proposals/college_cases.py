"""本院诉求 (/mycollege): a student representative's list of their college's cases, page by
page, with 关注 on each; a followed case's changes of state reach them in short lines."""

from __future__ import annotations

from collections.abc import Awaitable

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.callbacks import CollegeCB
from bot.core.context import Turn
from bot.core.render import Translate
from bot.representatives import college
from handlers.common import Refused, consented_router, show_in_place, unless_refused


def build_router() -> Router:
    router = consented_router("college_cases")
    router.message.register(listing, Command("mycollege"))
    router.callback_query.register(page, CollegeCB.filter(F.action == "page"))
    router.callback_query.register(follow, CollegeCB.filter(F.action.in_({"follow", "unfollow"})))
    return router


def _page(turn: Turn, page: int, asked: str = "") -> Awaitable[college.CollegePage]:
    return college.college_page(
        session=turn.session,
        services=turn.services,
        user=turn.sender,
        locale=turn.locale,
        page=max(0, page),
        asked=asked,
    )


async def listing(message: Message, command: CommandObject, turn: Turn, _: Translate) -> None:
    shown = await unless_refused(message, _, _page(turn, 0, command.args or ""))
    if shown is not Refused.REFUSED:
        await message.answer(shown.text, reply_markup=_markup(shown))


async def page(query: CallbackQuery, callback_data: CollegeCB, turn: Turn, _: Translate) -> None:
    shown = await unless_refused(query, _, _page(turn, callback_data.page))
    if shown is not Refused.REFUSED:
        await show_in_place(query, shown.text, _markup(shown))


async def follow(query: CallbackQuery, callback_data: CollegeCB, turn: Turn, _: Translate) -> None:
    following = callback_data.action == "follow"
    changed = await unless_refused(
        query,
        _,
        college.set_following(
            session=turn.session,
            services=turn.services,
            user=turn.sender,
            case_id=callback_data.case_id,
            following=following,
        ),
    )
    if changed is Refused.REFUSED:
        return
    shown = await _page(turn, callback_data.page)
    await query.answer(
        (
            _("You will be told when %(number)s changes state.")
            if following
            else _("You no longer follow %(number)s.")
        )
        % {"number": changed.number}
    )
    if isinstance(query.message, Message):
        await query.message.edit_text(shown.text, reply_markup=_markup(shown))


def _markup(shown: college.CollegePage) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup.model_validate(shown.markup) if shown.markup else None
