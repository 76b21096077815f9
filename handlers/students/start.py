"""Onboarding: privacy notice and consent, language, college; /help."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.callbacks import StartCB
from bot.core.context import Turn
from bot.core.render import Renderer, Translate
from bot.privacy import personal_data as privacy
from bot.proposals.core import window_open
from bot.proposals.drafts import standing
from handlers.common import (
    MENU_HELP,
    ask_college,
    close_buttons,
    main_menu,
    menu_command,
    private_router,
    send_privacy_notice,
    start_buttons,
)
from storage.models import CongressSession, Representative


async def start(message: Message, turn: Turn, state: FSMContext) -> None:
    await state.clear()
    if turn.sender.consent_at is None:
        await send_privacy_notice(message, turn)
    elif turn.sender.college_code is None:
        # Agreed already but left before choosing a college: do not ask to agree again.
        await ask_college(message, turn)
    else:
        await _welcome(message, turn, turn.sender.college_code)
        found = await standing(session=turn.session, services=turn.services, user_id=turn.sender.id)
        if found is not None:  # a student representative also sees their congress
            await _congress_status(message, turn, *found)


async def decline(query: CallbackQuery, turn: Turn) -> None:
    await close_buttons(query)
    if isinstance(query.message, Message):
        await query.message.answer(turn.render("student/consent_declined.html"))


async def consent(query: CallbackQuery, turn: Turn, _: Translate) -> None:
    await privacy.give_consent(session=turn.session, user=turn.sender, now=turn.services.now())
    await close_buttons(query, _("Thank you!"))
    if isinstance(query.message, Message):
        await _ask_language(query.message, turn)


async def language_command(message: Message, turn: Turn) -> None:
    await _ask_language(message, turn)


async def language(query: CallbackQuery, callback_data: StartCB, turn: Turn) -> None:
    locale = await privacy.set_locale(
        session=turn.session, user=turn.sender, locale=callback_data.value
    )
    await query.answer()
    if not isinstance(query.message, Message):
        return
    await query.message.edit_reply_markup(reply_markup=None)
    turn = turn.speaking(locale)
    if turn.sender.college_code is None:
        await ask_college(query.message, turn)
    else:
        await _welcome(query.message, turn, turn.sender.college_code)


async def college_command(message: Message, turn: Turn) -> None:
    if turn.sender.consent_at is None:
        await message.answer(turn.render("student/need_consent.html"))
        return
    await ask_college(message, turn)


async def college(query: CallbackQuery, callback_data: StartCB, turn: Turn, _: Translate) -> None:
    chosen = turn.services.org.college(callback_data.value)
    if chosen is None or turn.sender.consent_at is None:
        await query.answer(_("Please choose from the list."), show_alert=True)
        return
    await privacy.set_college(session=turn.session, user=turn.sender, college=chosen.code)
    await close_buttons(query)
    if isinstance(query.message, Message):
        await _welcome(query.message, turn, chosen.code)


async def help_(message: Message, turn: Turn) -> None:
    await message.answer(turn.render("student/help.html"))


async def _welcome(message: Message, turn: Turn, college_code: str) -> None:
    college = turn.services.org.college(college_code)
    await message.answer(
        turn.render(
            "student/welcome.html",
            college=turn.services.renderer.name_of(college, turn.locale),
        ),
        reply_markup=main_menu(turn),
    )


async def _ask_language(message: Message, turn: Turn) -> None:
    await message.answer(
        turn.render("student/choose_language.html"),
        reply_markup=_language_keyboard(),
    )


async def _congress_status(
    message: Message, turn: Turn, representative: Representative, congress: CongressSession
) -> None:
    now = turn.services.now()
    await message.answer(
        turn.render(
            "proposal/status.html",
            representative=representative,
            congress=congress,
            is_open=window_open(congress, now),
            now=now,
        )
    )


def _language_keyboard() -> InlineKeyboardMarkup:
    return start_buttons(
        ("中文", StartCB(action="lang", value="zh_Hans")),
        ("English", StartCB(action="lang", value="en")),
    )


def build_router(renderer: Renderer) -> Router:
    router = private_router("start")
    router.message.register(start, CommandStart())
    router.callback_query.register(decline, StartCB.filter(F.action == "decline"))
    router.callback_query.register(consent, StartCB.filter(F.action == "consent"))
    router.message.register(language_command, Command("language"))
    router.callback_query.register(language, StartCB.filter(F.action == "lang"))
    router.message.register(college_command, Command("college"))
    router.callback_query.register(college, StartCB.filter(F.action == "college"))
    menu_command(router, help_, renderer, MENU_HELP, "help")
    return router
