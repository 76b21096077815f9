"""Onboarding: privacy notice and consent, language, college; /help."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.callbacks import StartCB
from bot.core.context import Services
from bot.core.render import Renderer, Translate
from bot.privacy import personal_data as privacy
from bot.proposals.core import window_open
from bot.proposals.drafts import standing
from handlers.common import (
    MENU_HELP,
    close_buttons,
    college_keyboard,
    main_menu,
    menu_texts,
    private_router,
    send_privacy_notice,
    start_buttons,
)
from storage.models import CongressSession, Representative, User


async def start(
    message: Message,
    session: AsyncSession,
    user: User,
    services: Services,
    locale: str,
    _: Translate,
    state: FSMContext,
) -> None:
    await state.clear()
    if user.consent_at is None:
        await send_privacy_notice(message, services, locale, _)
    elif user.college_code is None:
        # Agreed already but left before choosing a college: do not ask to agree again.
        await _ask_college(message, services, locale)
    else:
        await _welcome(message, services, locale, user.college_code)
        found = await standing(session=session, services=services, user_id=user.id)
        if found is not None:  # a student representative also sees their congress
            await _congress_status(message, services, locale, *found)


async def decline(query: CallbackQuery, services: Services, locale: str) -> None:
    await close_buttons(query)
    if isinstance(query.message, Message):
        await query.message.answer(
            services.renderer.render(locale, "student/consent_declined.html")
        )


async def consent(
    query: CallbackQuery,
    session: AsyncSession,
    user: User,
    services: Services,
    locale: str,
    _: Translate,
) -> None:
    await privacy.give_consent(session=session, user=user, now=services.now())
    await close_buttons(query, _("Thank you!"))
    if isinstance(query.message, Message):
        await _ask_language(query.message, services, locale)


async def language_command(message: Message, services: Services, locale: str) -> None:
    await _ask_language(message, services, locale)


async def language(
    query: CallbackQuery,
    callback_data: StartCB,
    session: AsyncSession,
    user: User,
    services: Services,
) -> None:
    locale = await privacy.set_locale(session=session, user=user, locale=callback_data.value)
    await query.answer()
    if not isinstance(query.message, Message):
        return
    await query.message.edit_reply_markup(reply_markup=None)
    if user.college_code is None:
        await _ask_college(query.message, services, locale)
    else:
        await _welcome(query.message, services, locale, user.college_code)


async def college_command(message: Message, user: User, services: Services, locale: str) -> None:
    if user.consent_at is None:
        await message.answer(services.renderer.render(locale, "student/need_consent.html"))
        return
    await _ask_college(message, services, locale)


async def college(
    query: CallbackQuery,
    callback_data: StartCB,
    session: AsyncSession,
    user: User,
    services: Services,
    locale: str,
    _: Translate,
) -> None:
    chosen = services.org.college(callback_data.value)
    if chosen is None or user.consent_at is None:
        await query.answer(_("Please choose from the list."), show_alert=True)
        return
    await privacy.set_college(session=session, user=user, college=chosen.code)
    await close_buttons(query)
    if isinstance(query.message, Message):
        await _welcome(query.message, services, locale, chosen.code)


async def help_(message: Message, services: Services, locale: str) -> None:
    await message.answer(services.renderer.render(locale, "student/help.html"))


async def _welcome(message: Message, services: Services, locale: str, college_code: str) -> None:
    college = services.org.college(college_code)
    await message.answer(
        services.renderer.render(
            locale, "student/welcome.html", college=services.renderer.name_of(college, locale)
        ),
        reply_markup=main_menu(services.renderer, locale),
    )


async def _ask_college(message: Message, services: Services, locale: str) -> None:
    await message.answer(
        services.renderer.render(locale, "student/choose_college.html"),
        reply_markup=college_keyboard(services, locale),
    )


async def _ask_language(message: Message, services: Services, locale: str) -> None:
    await message.answer(
        services.renderer.render(locale, "student/choose_language.html"),
        reply_markup=_language_keyboard(),
    )


async def _congress_status(
    message: Message,
    services: Services,
    locale: str,
    representative: Representative,
    congress: CongressSession,
) -> None:
    now = services.now()
    await message.answer(
        services.renderer.render(
            locale,
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
    router.message.register(help_, Command("help"))
    router.message.register(help_, F.text.in_(menu_texts(renderer, MENU_HELP)))
    return router
