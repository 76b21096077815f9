"""/my: a student's cases, their timelines; adding information; rating the answer."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.cases import student_views
from bot.cases.student_views import PAGE, CasePage
from bot.core.callbacks import MyCaseCB
from bot.core.context import Turn
from bot.core.markup import Keyboard
from bot.core.render import Renderer, Translate
from bot.domain import labels
from bot.domain.workflow import ACTION_OF_RATING, FINAL_STATES, TransitionError
from handlers.common import (
    MENU_MY,
    SUBMITS,
    Refused,
    close_buttons,
    consented_router,
    end_dialogue,
    error_text,
    free_input,
    menu_command,
    say_unsupported,
    show_in_place,
    stored_id,
    unless_refused,
)
from handlers.media import attachment_of


class CaseInput(StatesGroup):
    info = State()
    comment = State()


class AlbumAfterInfo(Filter):
    """A further part of the album a student began to send as information for a case."""

    async def __call__(self, message: Message, state: FSMContext) -> bool:
        if not message.media_group_id:
            return False
        data = await state.get_data()
        return data.get("album") == message.media_group_id and "case_id" in data


async def my(message: Message, state: FSMContext, turn: Turn) -> None:
    await state.clear()
    found = await student_views.cases_page(
        session=turn.session, services=turn.services, user_id=turn.sender.id, page=0
    )
    text, markup = _case_list(turn, found)
    await message.answer(text, reply_markup=markup)


async def page(query: CallbackQuery, callback_data: MyCaseCB, turn: Turn) -> None:
    found = await student_views.cases_page(
        session=turn.session,
        services=turn.services,
        user_id=turn.sender.id,
        page=max(callback_data.value, 0),
    )
    text, markup = _case_list(turn, found)
    await show_in_place(query, text, markup)


async def open_case(
    query: CallbackQuery, callback_data: MyCaseCB, turn: Turn, _: Translate
) -> None:
    case = await student_views.own_case(
        session=turn.session,
        services=turn.services,
        user_id=turn.sender.id,
        case_id=callback_data.case_id,
    )
    if case is None:
        purged = await student_views.purged(session=turn.session, case_id=callback_data.case_id)
        reason = "purged" if purged else "not_found"
        await query.answer(_(labels.TRANSITION_ERROR[reason]), show_alert=True)
        return
    await query.answer()
    await student_views.show_case(
        session=turn.session, services=turn.services, user=turn.sender, case=case
    )


async def ask_info(
    query: CallbackQuery, callback_data: MyCaseCB, state: FSMContext, turn: Turn, _: Translate
) -> None:
    case = await student_views.own_case(
        session=turn.session,
        services=turn.services,
        user_id=turn.sender.id,
        case_id=callback_data.case_id,
    )
    if case is None or case.state in FINAL_STATES:
        reason = "not_found" if case is None else "closed"
        await query.answer(_(labels.TRANSITION_ERROR[reason]), show_alert=True)
        return
    await state.set_state(CaseInput.info)
    await state.update_data(case_id=case.id)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(turn.render("student/info_prompt.html", case=case))


async def got_info(message: Message, state: FSMContext, turn: Turn) -> None:
    case_id = await end_dialogue(state, "case_id")
    if message.media_group_id:
        # The album's other parts come as messages of their own; they belong here too.
        await state.update_data(album=message.media_group_id, case_id=case_id)
    await _add_info(message, turn, case_id)


async def got_info_album_part(message: Message, state: FSMContext, turn: Turn) -> None:
    case_id = await stored_id(state, "case_id")
    await _add_info(message, turn, case_id, acknowledge=False)


async def info_expected(message: Message, state: FSMContext, turn: Turn) -> None:
    case_id = await stored_id(state, "case_id")
    case = await student_views.own_case(
        session=turn.session, services=turn.services, user_id=turn.sender.id, case_id=case_id
    )
    if case is None:
        await state.clear()
        return
    await message.answer(turn.render("student/info_prompt.html", case=case))


async def rate(
    query: CallbackQuery, callback_data: MyCaseCB, state: FSMContext, turn: Turn, _: Translate
) -> None:
    action = ACTION_OF_RATING.get(callback_data.value)
    if action is None:
        await query.answer()
        return
    rated = student_views.rate(
        session=turn.session,
        services=turn.services,
        user=turn.sender,
        case_id=callback_data.case_id,
        action=action,
    )
    case = await unless_refused(query, _, rated)
    if case is Refused.REFUSED:
        return
    await close_buttons(query, _(labels.RATING[callback_data.value]))
    invite = await _invite_comment(state, case.id)
    await student_views.thank_for_rating(
        session=turn.session,
        services=turn.services,
        user=turn.sender,
        case=case,
        invite_comment=invite,
    )


async def skip_comment(query: CallbackQuery, state: FSMContext) -> None:
    # A late press must not end whatever the student has started since.
    if await state.get_state() == CaseInput.comment.state:
        await state.clear()
    await close_buttons(query)


async def got_comment(message: Message, state: FSMContext, turn: Turn, _: Translate) -> None:
    case_id = await end_dialogue(state, "case_id")
    commented = student_views.comment_rating(
        session=turn.session,
        services=turn.services,
        user=turn.sender,
        case_id=case_id,
        text=message.text or "",
    )
    await unless_refused(message, _, commented)


async def reply_to_case(message: Message, turn: Turn) -> None:
    assert message.reply_to_message is not None
    case = await student_views.case_replied_to(
        session=turn.session,
        services=turn.services,
        user_id=turn.sender.id,
        chat_id=message.chat.id,
        message_id=message.reply_to_message.message_id,
    )
    if case is None or case.id is None:
        await say_unsupported(message, turn, "")
        return
    await _add_info(message, turn, case.id)


async def _add_info(
    message: Message, turn: Turn, case_id: int, *, acknowledge: bool = True
) -> None:
    try:
        await student_views.add_information(
            session=turn.session,
            services=turn.services,
            user=turn.sender,
            case_id=case_id,
            text=message.text or message.caption or "",
            attachments=[attachment_of(message)] if (message.photo or message.document) else [],
            acknowledge=acknowledge,
        )
    except TransitionError as exc:
        if acknowledge:
            await message.answer(error_text(turn.translate, exc))


async def _invite_comment(state: FSMContext, case_id: int | None) -> bool:
    # In the middle of something else (a new case, say), the next message belongs to that.
    if await state.get_state() not in (None, CaseInput.comment.state):
        return False
    await state.set_state(CaseInput.comment)
    await state.update_data(case_id=case_id)
    return True


def _case_list(turn: Turn, found: CasePage) -> tuple[str, InlineKeyboardMarkup | None]:
    text = turn.render(
        "student/my_list.html",
        cases=found.cases,
        total=found.total,
        retention_days=turn.services.settings.retention_days,
    )
    if not found.cases:
        return text, None
    _ = turn.translate
    kb = Keyboard()
    for case in found.cases:
        kb.button(text=case.number, callback_data=MyCaseCB(action="open", case_id=case.id or 0))
    nav = []
    if found.page > 0:
        nav.append(("« " + _("Newer"), found.page - 1))
    if found.has_older:
        nav.append((_("Older") + " »", found.page + 1))
    for label, target in nav:
        kb.button(text=label, callback_data=MyCaseCB(action="page", value=target))
    kb.adjust(*([PAGE] if len(found.cases) <= 3 else [3, 2]), len(nav) or 1)
    return text, kb.as_markup()


def build_router(renderer: Renderer) -> Router:
    router = consented_router("my_cases")
    free = free_input(renderer)
    menu_command(router, my, renderer, MENU_MY, "my")
    router.callback_query.register(page, MyCaseCB.filter(F.action == "page"))
    router.callback_query.register(open_case, MyCaseCB.filter(F.action == "open"))
    router.callback_query.register(ask_info, MyCaseCB.filter(F.action == "info"), flags=SUBMITS)
    router.message.register(
        got_info, CaseInput.info, F.text | F.photo | F.document, free, flags=SUBMITS
    )
    router.message.register(
        got_info_album_part,
        StateFilter(None),
        F.photo | F.document,
        AlbumAfterInfo(),
        flags=SUBMITS,
    )
    router.message.register(info_expected, CaseInput.info, free)
    router.callback_query.register(rate, MyCaseCB.filter(F.action == "rate"), flags=SUBMITS)
    router.callback_query.register(skip_comment, MyCaseCB.filter(F.action == "skip"))
    router.message.register(got_comment, CaseInput.comment, F.text, free, flags=SUBMITS)
    router.message.register(
        reply_to_case,
        StateFilter(None),
        F.reply_to_message,
        F.text | F.photo | F.document,
        free,
        flags=SUBMITS,
    )
    return router
