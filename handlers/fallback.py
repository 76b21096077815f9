"""Whatever no other handler took: say what the bot can accept."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.services.context import Services
from handlers.common import main_menu


def build_cancel_router() -> Router:
    """First in line, so /cancel works in every step of every conversation."""
    router = Router(name="cancel")
    router.message.filter(F.chat.type == "private")

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
