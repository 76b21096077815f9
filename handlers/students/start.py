"""Onboarding: privacy notice and consent, language, college; /help."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.callbacks import StartCB
from bot.core.context import Turn
from bot.core.render import Renderer, Translate
from bot.privacy import consent
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


async def decline(query: CallbackQuery, callback_data: StartCB, turn: Turn) -> None:
    if not await _answers_notice_in_force(query, callback_data, turn):
        return
    agreed_before = turn.sender.consent_at is not None
    await consent.decline(
        session=turn.session,
        user=turn.sender,
        version=turn.services.org.privacy.notice_version,
        now=turn.services.now(),
    )
    await close_buttons(query)
    if isinstance(query.message, Message):
        template = (
            "student/consent_withdrawn.html" if agreed_before else "student/consent_declined.html"
        )
        await query.message.answer(turn.render(template))


async def agree(query: CallbackQuery, callback_data: StartCB, turn: Turn, _: Translate) -> None:
    if not await _answers_notice_in_force(query, callback_data, turn):
        return
    returning = turn.sender.consent_at is not None
    await consent.accept(
        session=turn.session,
        user=turn.sender,
        version=turn.services.org.privacy.notice_version,
        now=turn.services.now(),
    )
    await close_buttons(query, _("Thank you!"))
    if not isinstance(query.message, Message):
        return
    if returning:  # agreeing again to a changed notice: language and college stay
        await query.message.answer(turn.render("student/consent_renewed.html"))
    else:
        await _ask_language(query.message, turn)


async def _answers_notice_in_force(
    query: CallbackQuery, callback_data: StartCB, turn: Turn
) -> bool:
    """A press on a notice the organisation has since changed answers nothing: the one in
    force is shown instead."""
    if callback_data.value in ("", turn.services.org.privacy.notice_version):
        return True
    await close_buttons(query)
    if isinstance(query.message, Message):
        await send_privacy_notice(query.message, turn, changed=True)
    return False


async def notice(query: CallbackQuery, turn: Turn) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await show_notice(query.message, turn)


async def privacy_command(message: Message, turn: Turn) -> None:
    await show_notice(message, turn)


async def show_notice(message: Message, turn: Turn) -> None:
    """The notice in force; its buttons unless the person has agreed to it already."""
    current = consent.is_current(turn.user, turn.services.org.privacy.notice_version)
    changed = turn.user is not None and turn.user.consent_at is not None and not current
    await send_privacy_notice(message, turn, changed=changed, buttons=not current)


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
    router.callback_query.register(agree, StartCB.filter(F.action == "consent"))
    router.callback_query.register(notice, StartCB.filter(F.action == "notice"))
    router.message.register(privacy_command, Command("privacy"))
    router.message.register(language_command, Command("language"))
    router.callback_query.register(language, StartCB.filter(F.action == "lang"))
    router.message.register(college_command, Command("college"))
    router.callback_query.register(college, StartCB.filter(F.action == "college"))
    menu_command(router, help_, renderer, MENU_HELP, "help")
    return router
