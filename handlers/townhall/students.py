"""A student's town halls: /townhall (what is planned; on / off for the announcements),
/ask ID question, /questions ID with 👍 on each question they may still upvote — also opened
from the web board's link (/start townhall_ID)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.context import Turn
from bot.core.render import Translate
from bot.domain.text import N_
from bot.townhall import questions, sessions
from bot.townhall.board import LINK_PREFIX
from bot.townhall.callbacks import TownHallCB
from handlers.common import Refused, consented_router
from handlers.townhall.common import refusal, unless_refused

ASK_USAGE = N_("Send: /ask ID your question (start it with 匿名 to ask anonymously).")


def build_router() -> Router:
    router = consented_router("townhall_students")
    router.message.register(home, Command("townhall"))
    router.message.register(ask, Command("ask"))
    router.message.register(listing, Command("questions"))
    router.callback_query.register(vote, TownHallCB.filter(F.action == "vote"))
    return router


def build_link_router() -> Router:
    """/start townhall_ID, from the web board: the session's questions to upvote in the bot,
    where one vote per person can be kept."""
    router = consented_router("townhall_link")
    router.message.register(
        listing,
        CommandStart(deep_link=True, magic=F.args.regexp(rf"^{LINK_PREFIX}\d+$")),
    )
    return router


async def home(message: Message, command: CommandObject, turn: Turn, _: Translate) -> None:
    wanted = (command.args or "").strip().casefold()
    if wanted in {"on", "off", "开", "关"}:
        on = wanted in {"on", "开"}
        await sessions.set_opt_in(session=turn.session, user=turn.sender, wanted=on)
        await message.answer(
            _("You will be told of new town hall sessions.")
            if on
            else _("You will no longer be told of new town hall sessions.")
        )
        return
    text = await sessions.student_home(
        session=turn.session, services=turn.services, user=turn.sender, locale=turn.locale
    )
    await message.answer(text)


def _id_and_rest(args: str | None) -> tuple[int, str] | None:
    first, _, rest = (args or "").strip().partition(" ")
    return (int(first), rest) if first.isdigit() else None


async def ask(message: Message, command: CommandObject, turn: Turn, _: Translate) -> None:
    parsed = _id_and_rest(command.args)
    if parsed is None:
        await message.answer(_(ASK_USAGE))
        return
    asked = await unless_refused(
        message,
        _,
        questions.ask(
            session=turn.session,
            services=turn.services,
            user=turn.sender,
            town_hall_id=parsed[0],
            text=parsed[1],
        ),
    )
    if asked is not Refused.REFUSED:
        await message.answer(turn.render("townhall/asked.html", question=asked))


async def listing(message: Message, command: CommandObject, turn: Turn, _: Translate) -> None:
    parsed = _id_and_rest((command.args or "").removeprefix(LINK_PREFIX))
    if parsed is None:
        await message.answer(refusal(_, "townhall_not_found"))
        return
    shown = await unless_refused(
        message,
        _,
        questions.student_list(
            session=turn.session,
            services=turn.services,
            user=turn.sender,
            locale=turn.locale,
            town_hall_id=parsed[0],
        ),
    )
    if shown is not Refused.REFUSED:
        text, markup = shown
        await message.answer(
            text, reply_markup=InlineKeyboardMarkup.model_validate(markup) if markup else None
        )


async def vote(query: CallbackQuery, callback_data: TownHallCB, turn: Turn, _: Translate) -> None:
    voted = await unless_refused(
        query,
        _,
        questions.vote(
            session=turn.session,
            services=turn.services,
            user=turn.sender,
            question_id=callback_data.question_id,
        ),
    )
    if voted is Refused.REFUSED:
        return
    await query.answer(_("Upvoted question #%(id)s.") % {"id": voted.id})
