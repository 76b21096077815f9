"""/mydata and /deleteme: a student sees and erases what is stored about them."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardRemove

from bot.core.callbacks import StartCB
from bot.core.context import Turn
from bot.core.render import Translate
from bot.privacy import export
from bot.privacy import personal_data as privacy
from handlers.common import close_buttons, private_router, start_buttons


async def mydata(message: Message, turn: Turn) -> None:
    stored = await privacy.stored_about(
        session=turn.session, services=turn.services, user_id=turn.sender.id
    )
    await export.send_export(
        session=turn.session,
        services=turn.services,
        user=turn.sender,
        summary={
            "person": turn.sender,
            "college": turn.services.org.college(turn.sender.college_code),
            "stored": stored,
        },
    )


async def deleteme(message: Message, turn: Turn, _: Translate) -> None:
    stored = await privacy.stored_about(
        session=turn.session, services=turn.services, user_id=turn.sender.id
    )
    await message.answer(
        turn.render("student/deleteme_confirm.html", stored=stored),
        reply_markup=_erase_keyboard(_),
    )


async def keep(query: CallbackQuery) -> None:
    await close_buttons(query)


async def erase(
    query: CallbackQuery, state: FSMContext, fsm_storage: BaseStorage, turn: Turn
) -> None:
    # Before anything is said to them: what this transaction queues for the person after
    # the erasure is deleted once sent.
    await privacy.erase_person(
        session=turn.session, services=turn.services, storage=fsm_storage, user_id=turn.sender.id
    )
    await state.clear()
    await close_buttons(query)
    if isinstance(query.message, Message):
        await query.message.answer(
            turn.render("student/deleted.html"),
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
