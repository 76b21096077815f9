"""The bookends of the private chat, whoever writes in it: before every other router, the
consent gate and /cancel; after all of them, whatever none took."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.core.context import Turn
from handlers.common import NeedsConsent, main_menu, private_router, say_unsupported


def build_cancel_router() -> Router:
    """First in line: nothing but /start and /help before consent; /cancel from every step."""
    router = private_router("cancel")
    router.message.register(consent_first, NeedsConsent())
    router.callback_query.register(consent_first_button, NeedsConsent())
    router.message.register(cancel, Command("cancel"))
    return router


def build_router() -> Router:
    router = Router(name="fallback")
    router.message.filter(F.chat.type == "private")
    router.message.register(anything_else)
    return router


async def consent_first(message: Message, turn: Turn) -> None:
    await message.answer(turn.render("student/need_consent.html"))


async def consent_first_button(query: CallbackQuery, turn: Turn) -> None:
    text = turn.render("student/need_consent.html")
    await query.answer(text[:200], show_alert=True)


async def cancel(message: Message, state: FSMContext, turn: Turn) -> None:
    template = (
        "student/cancelled.html" if await state.get_state() else "student/nothing_to_cancel.html"
    )
    await state.clear()
    await message.answer(
        turn.render(template),
        reply_markup=main_menu(turn),
    )


async def anything_else(message: Message, turn: Turn) -> None:
    await say_unsupported(message, turn, "")
