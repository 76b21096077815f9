"""A department liaison's private chat: writing the department's answer (答复) to a forwarded
case or a proposal, with files, for the officers' review; asking the officers a question about
it; declining a case that is not the department's (不属于本部门)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.callbacks import LiaisonCB
from bot.core.context import Turn
from bot.core.render import Renderer, Translate
from bot.departments import answers as department_answers
from bot.departments import forwarding, views
from bot.departments import keyboards as department_keyboards
from bot.domain.workflow import MAX_ATTACHMENTS, TEXT_MAX, TEXT_MIN
from handlers import drafts
from handlers.common import (
    Refused,
    end_dialogue,
    finish_unless_refused,
    free_input,
    private_router,
    say_unsupported,
    stored_id,
    unless_refused,
)
from storage.models import Case


class LiaisonInput(StatesGroup):
    answer = State()
    files = State()
    question = State()
    reason = State()


STEPS = {
    views.ANSWER: LiaisonInput.answer,
    views.ASK: LiaisonInput.question,
    views.DECLINE: LiaisonInput.reason,
}


def build_router(renderer: Renderer) -> Router:
    router = private_router("liaison")
    free = free_input(renderer)
    router.callback_query.register(
        start, LiaisonCB.filter(F.action.in_({views.ANSWER, views.ASK, views.DECLINE}))
    )
    router.message.register(got_answer, LiaisonInput.answer, F.text, free)
    router.message.register(got_file, LiaisonInput.files, F.photo | F.document)
    router.callback_query.register(
        submit, LiaisonInput.files, LiaisonCB.filter(F.action == "submit")
    )
    router.message.register(got_question, LiaisonInput.question, F.text, free)
    router.message.register(got_reason, LiaisonInput.reason, F.text, free)
    router.message.register(expected, LiaisonInput.files, free)
    router.message.register(
        expected,
        StateFilter(LiaisonInput.answer, LiaisonInput.question, LiaisonInput.reason),
        free,
    )
    router.callback_query.register(stale, LiaisonCB.filter(F.action == "submit"))
    return router


async def start(
    query: CallbackQuery, callback_data: LiaisonCB, state: FSMContext, turn: Turn, _: Translate
) -> None:
    step = callback_data.action
    taken = views.take_up(
        session=turn.session, user_id=turn.sender.id, part_id=callback_data.part_id, step=step
    )
    case = await unless_refused(query, _, taken)
    if case is Refused.REFUSED:
        return
    await state.set_state(STEPS[step])
    await state.set_data({"part_id": callback_data.part_id})
    await query.answer()
    await _say(query, turn, "question" if step == views.ASK else step, case=case)


async def got_answer(message: Message, state: FSMContext, turn: Turn, _: Translate) -> None:
    text = (message.text or "").strip()
    if not TEXT_MIN <= len(text) <= TEXT_MAX:
        await message.answer(_("The text does not meet the length rules."))
        return
    await state.update_data(text=text, files=[])
    await state.set_state(LiaisonInput.files)
    part_id = await stored_id(state, "part_id")
    await _say(message, turn, "files", part_id=part_id)


async def got_file(message: Message, state: FSMContext, turn: Turn) -> None:
    added, count = await drafts.take_attachment(message, state, key="files")
    part_id = await stored_id(state, "part_id")
    keyboard = InlineKeyboardMarkup.model_validate(
        department_keyboards.liaison_submit(turn.services.renderer, turn.locale, part_id)
    )
    if not added:
        text = turn.render("student/files_limit.html", max=MAX_ATTACHMENTS)
        await message.answer(text, reply_markup=keyboard)
        return
    text = turn.render(
        "departments/liaison_prompt.html",
        step="file_added",
        count=count,
        maximum=MAX_ATTACHMENTS,
        case=None,
    )
    await message.answer(text, reply_markup=keyboard)


async def submit(query: CallbackQuery, state: FSMContext, turn: Turn, _: Translate) -> None:
    data = await state.get_data()
    drafted = department_answers.draft_answer(
        session=turn.session,
        services=turn.services,
        assignment_id=int(data["part_id"]),
        user=turn.sender,
        chat_id=query.message.chat.id if query.message else None,
        text=str(data["text"]),
        attachments=list(data.get("files", [])),
    )
    await finish_unless_refused(query, state, _, drafted)


async def got_question(message: Message, state: FSMContext, turn: Turn, _: Translate) -> None:
    part_id = await end_dialogue(state, "part_id")
    asked = department_answers.ask_officers(
        session=turn.session,
        services=turn.services,
        assignment_id=part_id,
        user=turn.sender,
        chat_id=message.chat.id,
        question=message.text or "",
    )
    await unless_refused(message, _, asked)


async def got_reason(message: Message, state: FSMContext, turn: Turn, _: Translate) -> None:
    part_id = await end_dialogue(state, "part_id")
    declined = forwarding.decline(
        session=turn.session,
        services=turn.services,
        assignment_id=part_id,
        user=turn.sender,
        chat_id=message.chat.id,
        reason=message.text or "",
    )
    await unless_refused(message, _, declined)


async def expected(message: Message, state: FSMContext, turn: Turn) -> None:
    files = await state.get_state() == LiaisonInput.files.state
    await say_unsupported(message, turn, "files" if files else "text")


async def stale(query: CallbackQuery, _: Translate) -> None:
    await query.answer(_("This step is over."), show_alert=True)


async def _say(
    target: Message | CallbackQuery,
    turn: Turn,
    step: str,
    *,
    case: Case | None = None,
    part_id: int | None = None,
) -> None:
    message = target.message if isinstance(target, CallbackQuery) else target
    if not isinstance(message, Message):
        return
    keyboard = None
    if part_id is not None:
        keyboard = InlineKeyboardMarkup.model_validate(
            department_keyboards.liaison_submit(turn.services.renderer, turn.locale, part_id)
        )
    await message.answer(
        turn.render(
            "departments/liaison_prompt.html",
            step=step,
            case=case,
            maximum=MAX_ATTACHMENTS,
        ),
        reply_markup=keyboard,
    )
