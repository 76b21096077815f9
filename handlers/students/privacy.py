"""/mydata and /deleteme: a student sees and erases what is stored about them."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardRemove
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.callbacks import StartCB
from bot.core.context import Services
from bot.core.render import Translate
from bot.privacy import personal_data as privacy
from handlers.common import close_buttons, private_router, start_buttons
from storage.models import User


async def mydata(
    message: Message, session: AsyncSession, user: User, services: Services, locale: str
) -> None:
    stored = await privacy.stored_about(session=session, user_id=user.id)
    await message.answer(
        services.renderer.render(
            locale,
            "student/mydata.html",
            user=user,
            college=services.org.college(user.college_code),
            stored=stored,
        )
    )


async def deleteme(
    message: Message,
    session: AsyncSession,
    user: User,
    services: Services,
    locale: str,
    _: Translate,
) -> None:
    stored = await privacy.stored_about(session=session, user_id=user.id)
    await message.answer(
        services.renderer.render(locale, "student/deleteme_confirm.html", stored=stored),
        reply_markup=_erase_keyboard(_),
    )


async def keep(query: CallbackQuery) -> None:
    await close_buttons(query)


async def erase(
    query: CallbackQuery,
    state: FSMContext,
    fsm_storage: BaseStorage,
    session: AsyncSession,
    user: User,
    services: Services,
    locale: str,
) -> None:
    # Before anything is said to them: what this transaction queues for the person after
    # the erasure is deleted once sent.
    await privacy.erase_person(
        session=session, services=services, storage=fsm_storage, user_id=user.id
    )
    await state.clear()
    await close_buttons(query)
    if isinstance(query.message, Message):
        await query.message.answer(
            services.renderer.render(locale, "student/deleted.html"),
            reply_markup=ReplyKeyboardRemove(),
        )


def _erase_keyboard(_: Translate) -> InlineKeyboardMarkup:
    return start_buttons(
        (_("Erase my data"), StartCB(action="erase")),
        (_("Keep"), StartCB(action="keep")),
    )


def build_router() -> Router:
    router = private_router("privacy")
    router.message.register(mydata, Command("mydata"))
    router.message.register(deleteme, Command("deleteme"))
    router.callback_query.register(keep, StartCB.filter(F.action == "keep"))
    router.callback_query.register(erase, StartCB.filter(F.action == "erase"))
    return router
