"""Onboarding: privacy notice and consent, language, college; /help and personal data."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.callbacks import StartCB
from bot.core.context import Services
from bot.core.render import Renderer
from bot.privacy import personal_data as privacy
from handlers.common import MENU_HELP, college_keyboard, main_menu, menu_texts
from handlers.proposals import representatives
from storage.models import User

Translate = Callable[[str], str]


def build_router(renderer: Renderer) -> Router:
    router = Router(name="start")
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")

    @router.message(CommandStart())
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
        if user.consent_at is not None and user.college_code is None:
            # Agreed already but left before choosing a college: do not ask to agree again.
            await message.answer(
                services.renderer.render(locale, "student/choose_college.html"),
                reply_markup=college_keyboard(services, locale),
            )
            return
        if user.consent_at is not None:
            college = services.org.college(user.college_code)
            await message.answer(
                services.renderer.render(
                    locale, "student/welcome.html", college=renderer.name_of(college, locale)
                ),
                reply_markup=main_menu(services.renderer, locale),
            )
            status = await representatives.status_message(
                session=session, services=services, user=user, locale=locale
            )
            if status is not None:  # a student representative also sees their congress
                await message.answer(status)
            return
        kb = InlineKeyboardBuilder()
        kb.button(text=_("I agree"), callback_data=StartCB(action="consent"))
        kb.button(text=_("I do not agree"), callback_data=StartCB(action="decline"))
        kb.adjust(2)
        org_name = services.org.name_en if locale == "en" else services.org.name_zh
        await message.answer(
            services.renderer.render(locale, "student/privacy.html", org_name=org_name),
            reply_markup=kb.as_markup(),
        )

    @router.callback_query(StartCB.filter(F.action == "decline"))
    async def decline(query: CallbackQuery, services: Services, locale: str) -> None:
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)
            await query.message.answer(
                services.renderer.render(locale, "student/consent_declined.html")
            )

    @router.callback_query(StartCB.filter(F.action == "consent"))
    async def consent(
        query: CallbackQuery,
        session: AsyncSession,
        user: User,
        services: Services,
        locale: str,
        _: Translate,
    ) -> None:
        await privacy.give_consent(session=session, user=user, now=services.now())
        await query.answer(_("Thank you!"))
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)
            await query.message.answer(
                services.renderer.render(locale, "student/choose_language.html"),
                reply_markup=_language_keyboard(),
            )

    @router.message(Command("language"))
    async def language_command(message: Message, services: Services, locale: str) -> None:
        await message.answer(
            services.renderer.render(locale, "student/choose_language.html"),
            reply_markup=_language_keyboard(),
        )

    @router.callback_query(StartCB.filter(F.action == "lang"))
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
            await query.message.answer(
                services.renderer.render(locale, "student/choose_college.html"),
                reply_markup=college_keyboard(services, locale),
            )
        else:
            college = services.org.college(user.college_code)
            await query.message.answer(
                services.renderer.render(
                    locale, "student/welcome.html", college=renderer.name_of(college, locale)
                ),
                reply_markup=main_menu(services.renderer, locale),
            )

    @router.message(Command("college"))
    async def college_command(
        message: Message, user: User, services: Services, locale: str, _: Translate
    ) -> None:
        if user.consent_at is None:
            await message.answer(services.renderer.render(locale, "student/need_consent.html"))
            return
        await message.answer(
            services.renderer.render(locale, "student/choose_college.html"),
            reply_markup=college_keyboard(services, locale),
        )

    @router.callback_query(StartCB.filter(F.action == "college"))
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
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)
            await query.message.answer(
                services.renderer.render(
                    locale, "student/welcome.html", college=renderer.name_of(chosen, locale)
                ),
                reply_markup=main_menu(services.renderer, locale),
            )

    @router.message(Command("help"))
    @router.message(F.text.in_(menu_texts(renderer, MENU_HELP)))
    async def help_(message: Message, services: Services, locale: str) -> None:
        await message.answer(services.renderer.render(locale, "student/help.html"))

    return router


def _language_keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text="中文", callback_data=StartCB(action="lang", value="zh_Hans"))
    kb.button(text="English", callback_data=StartCB(action="lang", value="en"))
    kb.adjust(2)
    return kb.as_markup()
