"""`/case <number>` and `/find <words>` in the officers' chats; in a private chat, officers
are told where these work."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.cases import case_view, finder
from bot.core.callbacks import FindCB
from bot.core.context import Turn
from bot.core.render import Translate
from bot.domain.origin import OFFICER_ROLES
from bot.domain.text import N_
from handlers.common import private_router

NOT_SHOWN = {
    "not_found": N_("No case with that number."),
    "elsewhere": N_("This case is not handled in this chat."),
}
CANNOT_SEARCH = {
    "empty": N_("Write what to look for: /find 食堂 (filters: state:… category:… college:…)."),
    "punctuation": N_("Only punctuation was given; write a word to look for, e.g. /find 食堂."),
    "unknown_filter": N_("Unknown filter: %(value)s. Nothing was searched."),
}


def build_router() -> Router:
    """Included in the officers' router, which hears only their chats and only officers."""
    router = Router(name="officer_lookup")
    router.message.register(open_case, Command("case"))
    router.message.register(find, Command("find"))
    router.callback_query.register(find_page, FindCB.filter())
    return router


def build_private_router() -> Router:
    """An officer who asks in private is sent to the chats: a case is shown only where it is
    worked, so a sensitive case stays among the few who handle it."""
    router = private_router("officer_lookup_private")
    router.message.filter(Officer())
    router.message.register(only_in_chats, Command("case", "find"))
    return router


class Officer(Filter):
    async def __call__(self, message: Message, turn: Turn) -> bool:
        return bool(turn.roles & OFFICER_ROLES)


async def open_case(message: Message, command: CommandObject, turn: Turn, _: Translate) -> None:
    number = (command.args or "").strip()
    if not number:
        await message.reply(_("Write the case's number: /case G2026-0042."))
        return
    try:
        text = await case_view.case_view(
            session=turn.session, services=turn.services, chat_id=message.chat.id, number=number
        )
    except case_view.NotHere as refused:
        await message.reply(_(NOT_SHOWN[refused.reason]))
        return
    await message.reply(text)


async def find(message: Message, command: CommandObject, turn: Turn, _: Translate) -> None:
    try:
        found = await finder.find_view(
            session=turn.session,
            services=turn.services,
            chat_id=message.chat.id,
            query=command.args or "",
        )
    except finder.CannotSearch as refused:
        said = _(CANNOT_SEARCH[refused.reason])
        await message.reply(said % {"value": refused.value} if refused.value else said)
        return
    markup = InlineKeyboardMarkup.model_validate(found.markup) if found.markup else None
    await message.reply(found.text, reply_markup=markup)


async def find_page(query: CallbackQuery, callback_data: FindCB, turn: Turn, _: Translate) -> None:
    """A page button: the search is the /find its results reply to, run again, in place."""
    results = query.message
    asked = results.reply_to_message if isinstance(results, Message) else None
    words = _find_args(asked.text if asked is not None else None)
    if not isinstance(results, Message) or words is None:
        await query.answer(_("This search is gone; send /find again."), show_alert=True)
        return
    try:
        found = await finder.find_view(
            session=turn.session,
            services=turn.services,
            chat_id=results.chat.id,
            query=words,
            page=callback_data.page,
        )
    except finder.CannotSearch:
        await query.answer(_("This search is gone; send /find again."), show_alert=True)
        return
    await query.answer()
    markup = InlineKeyboardMarkup.model_validate(found.markup) if found.markup else None
    await results.edit_text(found.text, reply_markup=markup)


def _find_args(text: str | None) -> str | None:
    """What followed /find (or /find@bot) in a message; None for any other message."""
    head, *rest = (text or "").split(maxsplit=1)
    return (rest or [""])[0] if head.split("@", 1)[0] == "/find" else None


async def only_in_chats(message: Message, _: Translate) -> None:
    await message.answer(_("/case and /find work in the officers' chats, where the cases are."))
