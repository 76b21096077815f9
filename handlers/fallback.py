"""Whatever no other handler took: say what the bot can accept."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.core.context import Services
from handlers.common import NeedsConsent, main_menu


def build_cancel_router() -> Router:
    """First in line: nothing but /start and /help before consent; /cancel from every step."""
    router = Router(name="cancel")
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")

    @router.message(NeedsConsent())
    async def consent_first(message: Message, services: Services, locale: str) -> None:
        await message.answer(services.renderer.render(locale, "student/need_consent.html"))

    @router.callback_query(NeedsConsent())
    async def consent_first_button(query: CallbackQuery, services: Services, locale: str) -> None:
        text = services.renderer.render(locale, "student/need_consent.html")
        await query.answer(text[:200], show_alert=True)

    @router.message(Command("cancel"))
    async def cancel(message: Message, state: FSMContext, services: Services, locale: str) -> None:
        template = (
            "student/cancelled.html"
            if await state.get_state()
            else "student/nothing_to_cancel.html"
        )
        await state.clear()
        await message.answer(
            services.renderer.render(locale, template),
            reply_markup=main_menu(services.renderer, locale),
        )

    return router


def build_router() -> Router:
    router = Router(name="fallback")
    router.message.filter(F.chat.type == "private")

    @router.message()
    async def anything_else(message: Message, services: Services, locale: str) -> None:
        await message.answer(
            services.renderer.render(locale, "student/unsupported.html", expecting="")
        )

    return router
