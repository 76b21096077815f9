"""/new: a student's suggestion or grievance, step by step, with a preview before it is sent."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    Message,
)

from bot.cases import limits, mutes
from bot.cases.actions import CLASSMATE_NAME_MAX, classmate_name
from bot.core.callbacks import SubmitCB
from bot.core.context import Turn
from bot.core.render import Renderer, Translate
from bot.domain.workflow import STUDENT_KINDS
from bot.representatives import college
from handlers import drafts
from handlers.common import (
    MENU_NEW,
    SUBMITS,
    Refused,
    ask_college,
    close_buttons,
    consented_router,
    free_input,
    main_menu,
    menu_command,
    say_unsupported,
    unless_refused,
)
from handlers.students import submit_steps as steps
from handlers.students.submit_steps import NewCase


async def new(message: Message, state: FSMContext, turn: Turn) -> None:
    await state.clear()
    if await _over_daily_limit(message, turn):
        return
    if turn.services.org.college(turn.sender.college_code) is None:
        # Every case is routed by college, so there is none to submit without one.
        await ask_college(message, turn)
        return
    await state.update_data(college=turn.sender.college_code)
    await steps.ask_kind(message, state, turn)


async def cancel_button(query: CallbackQuery, state: FSMContext, turn: Turn) -> None:
    await state.clear()
    await close_buttons(query)
    if isinstance(query.message, Message):
        await query.message.answer(
            turn.render("student/cancelled.html"),
            reply_markup=main_menu(turn),
        )


async def chose_kind(
    query: CallbackQuery, callback_data: SubmitCB, state: FSMContext, turn: Turn
) -> None:
    if callback_data.value not in STUDENT_KINDS:
        await query.answer()
        return
    await state.update_data(kind=callback_data.value)
    await close_buttons(query)
    if not await steps.back_to_preview(query.message, state, turn):
        await steps.ask_category(query.message, state, turn)


async def chose_category(
    query: CallbackQuery, callback_data: SubmitCB, state: FSMContext, turn: Turn, _: Translate
) -> None:
    if turn.services.org.category(callback_data.value) is None:
        await query.answer(_("Please choose from the list."), show_alert=True)
        return
    await state.update_data(category=callback_data.value)
    await close_buttons(query)
    if not await steps.back_to_preview(query.message, state, turn):
        await steps.ask_text(query.message, state, turn)


async def got_text(message: Message, state: FSMContext, turn: Turn) -> None:
    text = message.text or ""
    refusal = drafts.text_refusal(turn, text)
    if refusal is not None:
        await message.answer(refusal)
        return
    await state.update_data(text=text.strip())
    if not await steps.back_to_preview(message, state, turn):
        await steps.ask_files(message, state, turn)


async def text_expected(message: Message, turn: Turn) -> None:
    await say_unsupported(message, turn, "text")


async def button_expected(message: Message, turn: Turn) -> None:
    await say_unsupported(message, turn, "buttons")


async def got_file(message: Message, state: FSMContext, turn: Turn) -> None:
    text, count = await drafts.file_answer(message, state, turn)
    await message.answer(text, reply_markup=steps.files_keyboard(turn, count))


async def file_expected(message: Message, state: FSMContext, turn: Turn) -> None:
    count = len((await state.get_data()).get("attachments", []))
    await message.answer(
        turn.render("student/unsupported.html", expecting="files"),
        reply_markup=steps.files_keyboard(turn, count),
    )


async def files_done(query: CallbackQuery, state: FSMContext, turn: Turn) -> None:
    await close_buttons(query)
    if not await steps.back_to_preview(query.message, state, turn):
        await steps.ask_anonymity(query.message, state, turn)


async def chose_anonymity(
    query: CallbackQuery, callback_data: SubmitCB, state: FSMContext, turn: Turn
) -> None:
    anonymous = callback_data.value == "1"
    await state.update_data(anonymous=anonymous, classmate_name=None)
    await close_buttons(query)
    if not anonymous and (await state.get_data()).get("on_behalf"):
        await steps.ask_classmate(query.message, state, turn)
        return
    await steps.show_preview(query.message, state, turn)


async def got_classmate(message: Message, state: FSMContext, turn: Turn) -> None:
    name = classmate_name(message.text or "")
    if name is None:
        await message.answer(
            turn.render("representative/on_behalf_name.html", max=CLASSMATE_NAME_MAX, again=True)
        )
        return
    await state.update_data(classmate_name=name)
    await steps.show_preview(message, state, turn)


async def new_on_behalf(message: Message, state: FSMContext, turn: Turn) -> None:
    """代提交: a representative submits for a classmate, through the same steps as /new."""
    await state.clear()
    entry = await unless_refused(
        message,
        turn.translate,
        college.representative(session=turn.session, user=turn.sender),
    )
    if entry is Refused.REFUSED or await _over_daily_limit(message, turn):
        return
    await state.update_data(college=entry.college_code, on_behalf=True)
    await message.answer(
        turn.render(
            "representative/on_behalf_intro.html",
            college=turn.services.org.college(entry.college_code),
        )
    )
    await steps.ask_kind(message, state, turn)


async def edit(
    query: CallbackQuery, callback_data: SubmitCB, state: FSMContext, turn: Turn, _: Translate
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if not callback_data.value:
        await query.message.edit_reply_markup(reply_markup=steps.edit_keyboard(_))
        return
    await state.update_data(editing=True)
    await query.message.edit_reply_markup(reply_markup=None)
    step = steps.EDIT_STEPS.get(callback_data.value)
    if step is not None:
        await step(query.message, state, turn)


async def send(query: CallbackQuery, state: FSMContext, turn: Turn, _: Translate) -> None:
    draft = steps.draft_of(await state.get_data())
    if draft is None:
        # A second press that was already queued when the first one sent the case.
        await query.answer(
            _("This step is no longer active. Send /new to start again."), show_alert=True
        )
        return
    if await _over_daily_limit(query.message, turn):
        # Reached meanwhile (another draft sent first): this one is not sent.
        await state.clear()
        await close_buttons(query)
        return
    submitted = await unless_refused(
        query,
        _,
        mutes.submit_or_hold(
            session=turn.session, services=turn.services, submitter=turn.sender, draft=draft
        ),
    )
    if submitted is Refused.REFUSED:
        return
    await state.clear()
    # A muted student's case is kept, to be sent when the mute ends (they were told so).
    await close_buttons(query, _("Sent") if submitted is not None else _("Kept for later"))


async def toggle_public(query: CallbackQuery, state: FSMContext, turn: Turn) -> None:
    data = await state.get_data()
    if not steps.may_go_public(data, turn):
        await query.answer()
        return
    await state.update_data(public=not data.get("public"))
    await close_buttons(query)
    await steps.show_preview(query.message, state, turn)


async def _over_daily_limit(message: steps.Reply, turn: Turn) -> bool:
    """True, with the student told from when they may submit again, past the daily limit."""
    again = await limits.next_submission_at(
        session=turn.session, services=turn.services, user_id=turn.sender.id
    )
    if again is None:
        return False
    if isinstance(message, Message):
        await message.answer(
            turn.render(
                "student/limit_submissions.html",
                limit=turn.services.settings.limit_submissions_per_day,
                again=again,
            )
        )
    return True


async def stale(query: CallbackQuery, _: Translate) -> None:
    await query.answer(
        _("This step is no longer active. Send /new to start again."), show_alert=True
    )


def build_router(renderer: Renderer) -> Router:
    router = consented_router("submit")
    free = free_input(renderer)
    menu_command(router, new, renderer, MENU_NEW, "new", flags=SUBMITS)
    router.message.register(new_on_behalf, Command("onbehalf"), flags=SUBMITS)
    router.callback_query.register(cancel_button, SubmitCB.filter(F.step == "cancel"))
    router.callback_query.register(chose_kind, NewCase.kind, SubmitCB.filter(F.step == "kind"))
    router.callback_query.register(
        chose_category, NewCase.category, SubmitCB.filter(F.step == "cat")
    )
    router.message.register(got_text, NewCase.text, F.text, free)
    router.message.register(text_expected, NewCase.text, free)
    router.message.register(
        button_expected,
        StateFilter(NewCase.kind, NewCase.category, NewCase.anonymity, NewCase.preview),
        free,
    )
    router.message.register(got_file, NewCase.files, F.photo | F.document)
    router.message.register(file_expected, NewCase.files, free)
    router.callback_query.register(
        files_done, NewCase.files, SubmitCB.filter(F.step == "files_done")
    )
    router.callback_query.register(
        chose_anonymity, NewCase.anonymity, SubmitCB.filter(F.step == "anon")
    )
    router.message.register(got_classmate, NewCase.classmate, F.text, free)
    router.message.register(text_expected, NewCase.classmate, free)
    router.callback_query.register(edit, NewCase.preview, SubmitCB.filter(F.step == "edit"))
    router.callback_query.register(
        send, NewCase.preview, SubmitCB.filter(F.step == "send"), flags=SUBMITS
    )
    router.callback_query.register(
        toggle_public, NewCase.preview, SubmitCB.filter(F.step == "public")
    )
    router.callback_query.register(stale, SubmitCB.filter())
    return router
