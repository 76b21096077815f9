"""/my: a student's cases, their timelines; adding information; rating the answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import conversation
from bot.cases.actions import apply_action
from bot.core.callbacks import MyCaseCB
from bot.core.context import Services
from bot.core.render import MESSAGE_LIMIT, Renderer
from bot.delivery import notify
from bot.domain import labels
from bot.domain.workflow import ACTION_OF_RATING, FINAL_STATES, Actor, Kind, Role, TransitionError
from bot.domain.workflow import State as CaseState
from handlers.common import MENU_MY, ConsentGate, error_text, free_input, menu_texts
from handlers.media import attachment_of
from storage.crud import cases as cases_crud
from storage.crud import outbox as outbox_crud
from storage.models import Case, User

Translate = Callable[[str], str]
PAGE = 5


class CaseInput(StatesGroup):
    info = State()
    comment = State()


def build_router(renderer: Renderer) -> Router:
    router = Router(name="my_cases")
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.middleware(ConsentGate())
    router.callback_query.middleware(ConsentGate())
    free = free_input(renderer)

    @router.message(Command("my"))
    @router.message(F.text.in_(menu_texts(renderer, MENU_MY)))
    async def my(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        services: Services,
        locale: str,
    ) -> None:
        await state.clear()
        text, markup = await _case_list(session, services, user, locale, page=0)
        await message.answer(text, reply_markup=markup)

    @router.callback_query(MyCaseCB.filter(F.action == "page"))
    async def page(
        query: CallbackQuery,
        callback_data: MyCaseCB,
        session: AsyncSession,
        user: User,
        services: Services,
        locale: str,
    ) -> None:
        text, markup = await _case_list(
            session, services, user, locale, page=max(callback_data.value, 0)
        )
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_text(text, reply_markup=markup)

    @router.callback_query(MyCaseCB.filter(F.action == "open"))
    async def open_case(
        query: CallbackQuery,
        callback_data: MyCaseCB,
        session: AsyncSession,
        user: User,
        services: Services,
        locale: str,
        _: Translate,
    ) -> None:
        case = await _own_case(session, callback_data.case_id, user)
        if case is None:
            await query.answer(_(labels.TRANSITION_ERROR["not_found"]), show_alert=True)
            return
        await query.answer()
        text = await _timeline(session, services, case, locale)
        markup = _case_keyboard(services, locale, case)
        # Queued as the case's message: once sent it is linked to the case, so a reply to it
        # adds information, like one to any case message.
        await outbox_crud.enqueue(
            session=session,
            messages=notify.message_rows(
                chat_id=user.id,
                texts=[text],
                case_id=case.id,
                recipient=user.id,
                priority=notify.INTERACTIVE,
                keyboard=markup.model_dump(exclude_none=True) if markup else None,
            ),
        )

    @router.callback_query(MyCaseCB.filter(F.action == "info"))
    async def ask_info(
        query: CallbackQuery,
        callback_data: MyCaseCB,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        services: Services,
        locale: str,
        _: Translate,
    ) -> None:
        case = await _own_case(session, callback_data.case_id, user)
        if case is None or case.state in FINAL_STATES:
            reason = "not_found" if case is None else "closed"
            await query.answer(_(labels.TRANSITION_ERROR[reason]), show_alert=True)
            return
        await state.set_state(CaseInput.info)
        await state.update_data(case_id=case.id)
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.answer(
                services.renderer.render(locale, "student/info_prompt.html", case=case)
            )

    @router.message(CaseInput.info, F.text | F.photo | F.document, free)
    async def got_info(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        services: Services,
        _: Translate,
    ) -> None:
        case_id = int((await state.get_data())["case_id"])
        await state.clear()
        if message.media_group_id:
            # The album's other parts come as messages of their own; they belong here too.
            await state.update_data(album=message.media_group_id, case_id=case_id)
        await _add_info(message, session, services, user, case_id, _)

    @router.message(StateFilter(None), F.photo | F.document, AlbumAfterInfo())
    async def got_info_album_part(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        services: Services,
        _: Translate,
    ) -> None:
        case_id = int((await state.get_data())["case_id"])
        await _add_info(message, session, services, user, case_id, _, acknowledge=False)

    @router.message(CaseInput.info, free)
    async def info_expected(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        services: Services,
        locale: str,
    ) -> None:
        case = await _own_case(session, int((await state.get_data())["case_id"]), user)
        if case is None:
            await state.clear()
            return
        await message.answer(
            services.renderer.render(locale, "student/info_prompt.html", case=case)
        )

    @router.callback_query(MyCaseCB.filter(F.action == "rate"))
    async def rate(
        query: CallbackQuery,
        callback_data: MyCaseCB,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        services: Services,
        _: Translate,
    ) -> None:
        action = ACTION_OF_RATING.get(callback_data.value)
        if action is None:
            await query.answer()
            return
        try:
            case = await apply_action(
                session=session,
                services=services,
                case_id=callback_data.case_id,
                action=action,
                actor=Actor(user.id, Role.STUDENT),
            )
        except TransitionError as exc:
            await query.answer(error_text(_, exc), show_alert=True)
            return
        await query.answer(_(labels.RATING[callback_data.value]))
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)
        # In the middle of something else (a new case, say), the next message belongs to that.
        invite = await state.get_state() in (None, CaseInput.comment.state)
        keyboard = None
        if invite:
            await state.set_state(CaseInput.comment)
            await state.update_data(case_id=case.id)
            kb = InlineKeyboardBuilder()
            kb.button(text=_("Skip"), callback_data=MyCaseCB(action="skip", case_id=case.id or 0))
            keyboard = kb.as_markup().model_dump(mode="json", exclude_none=True)
        await outbox_crud.enqueue(
            session=session,
            messages=notify.to_user(
                services=services,
                user=user,
                template="student/rated.html",
                case=case,
                keyboard=keyboard,
                invite_comment=invite,
            ),
        )

    @router.callback_query(MyCaseCB.filter(F.action == "skip"))
    async def skip_comment(query: CallbackQuery, state: FSMContext) -> None:
        # A late press must not end whatever the student has started since.
        if await state.get_state() == CaseInput.comment.state:
            await state.clear()
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)

    @router.message(CaseInput.comment, F.text, free)
    async def got_comment(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        services: Services,
        _: Translate,
    ) -> None:
        case_id = int((await state.get_data())["case_id"])
        await state.clear()
        try:
            await conversation.rating_comment(
                session=session,
                services=services,
                case_id=case_id,
                student_id=user.id,
                text=message.text or "",
            )
        except TransitionError as exc:
            await message.answer(error_text(_, exc))
            return
        await outbox_crud.enqueue(
            session=session,
            messages=notify.to_user(
                services=services, user=user, template="student/comment_saved.html"
            ),
        )

    @router.message(StateFilter(None), F.reply_to_message, F.text | F.photo | F.document, free)
    async def reply_to_case(
        message: Message,
        session: AsyncSession,
        user: User,
        services: Services,
        locale: str,
        _: Translate,
    ) -> None:
        assert message.reply_to_message is not None
        case = await cases_crud.case_by_message(
            session=session, chat_id=message.chat.id, message_id=message.reply_to_message.message_id
        )
        if case is None or case.submitter_id != user.id or case.id is None:
            await message.answer(
                services.renderer.render(locale, "student/unsupported.html", expecting="")
            )
            return
        await _add_info(message, session, services, user, case.id, _)

    return router


class AlbumAfterInfo(Filter):
    """A further part of the album a student began to send as information for a case."""

    async def __call__(self, message: Message, state: FSMContext) -> bool:
        if not message.media_group_id:
            return False
        data = await state.get_data()
        return data.get("album") == message.media_group_id and "case_id" in data


async def _add_info(
    message: Message,
    session: AsyncSession,
    services: Services,
    user: User,
    case_id: int,
    _: Translate,
    *,
    acknowledge: bool = True,
) -> None:
    text = message.text or message.caption or ""
    attachments = [attachment_of(message)] if (message.photo or message.document) else []
    try:
        case = await conversation.student_message(
            session=session,
            services=services,
            case_id=case_id,
            student_id=user.id,
            text=text,
            attachments=attachments,
        )
    except TransitionError as exc:
        if acknowledge:
            await message.answer(error_text(_, exc))
        return
    if acknowledge:
        await outbox_crud.enqueue(
            session=session,
            messages=notify.to_user(
                services=services, user=user, template="student/info_received.html", case=case
            ),
        )


async def _own_case(session: AsyncSession, case_id: int, user: User) -> Case | None:
    case = await cases_crud.get_case(session=session, case_id=case_id)
    return case if case is not None and case.submitter_id == user.id else None


async def _case_list(
    session: AsyncSession, services: Services, user: User, locale: str, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    cases, total = await cases_crud.cases_of_submitter(
        session=session, user_id=user.id, limit=PAGE, offset=page * PAGE
    )
    text = services.renderer.render(locale, "student/my_list.html", cases=cases, total=total)
    if not cases:
        return text, None
    _ = services.renderer.translator(locale)
    kb = InlineKeyboardBuilder()
    for case in cases:
        kb.button(text=case.number, callback_data=MyCaseCB(action="open", case_id=case.id or 0))
    nav = []
    if page > 0:
        nav.append(("« " + _("Newer"), page - 1))
    if (page + 1) * PAGE < total:
        nav.append((_("Older") + " »", page + 1))
    for label, target in nav:
        kb.button(text=label, callback_data=MyCaseCB(action="page", value=target))
    kb.adjust(*([PAGE] if len(cases) <= 3 else [3, 2]), len(nav) or 1)
    return text, kb.as_markup()


async def _timeline(session: AsyncSession, services: Services, case: Case, locale: str) -> str:
    assert case.id is not None
    events = await cases_crud.events_of(session=session, case_id=case.id, public_only=True)
    items: list[dict[str, Any]] = [
        {
            "created_at": e.created_at,
            "action": e.action,
            "text": e.text,
            "department": services.org.department(e.text) if e.action == "forward" else None,
            "label": labels.EVENT.get(e.action, e.action),
        }
        for e in events
    ]

    def render(shown: list[dict[str, Any]]) -> str:
        return services.renderer.render(
            locale,
            "student/my_case.html",
            case=case,
            kind_label=labels.KIND[Kind(case.kind)],
            category=services.org.category(case.category_code),
            department=services.org.department(case.department_code),
            events=shown,
            omitted=len(items) - len(shown),
            event_label=lambda item: item["label"],
        )

    # A long history would not fit in one message: the latest steps matter most.
    shown = items
    text = render(shown)
    while len(text) > MESSAGE_LIMIT and shown:
        shown = shown[1:]
        text = render(shown)
    return text


def _case_keyboard(services: Services, locale: str, case: Case) -> InlineKeyboardMarkup | None:
    _ = services.renderer.translator(locale)
    kb = InlineKeyboardBuilder()
    if case.state not in FINAL_STATES:
        kb.button(
            text=_("Add information"), callback_data=MyCaseCB(action="info", case_id=case.id or 0)
        )
    if case.state == CaseState.ANSWERED:
        for value in (3, 2, 1):
            kb.button(
                text=_(labels.RATING[value]),
                callback_data=MyCaseCB(action="rate", case_id=case.id or 0, value=value),
            )
    kb.adjust(1, 3)
    return kb.as_markup() if list(kb.buttons) else None
