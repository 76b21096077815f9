"""The officers' chat: card buttons, texts the buttons ask for, replies relayed to students."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ForceReply, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.callbacks import CardCB, DeptCB
from bot.services import conversation
from bot.services.cases import Actor, apply_action
from bot.services.context import Services
from bot.services.queue import queue_view
from bot.workflow import TEXT_REQUIRED, Action, Role, TransitionError
from handlers.common import error_text
from handlers.officer_chat import OfficerChat, OfficersOnly, case_of_message
from storage.crud import cases as cases_crud
from storage.models import User

Translate = Callable[[str], str]
ASKS_TEXT = TEXT_REQUIRED | {Action.MERGE}
# What an officer may post in a case's thread that is not passed on to the student.
NOT_RELAYED = frozenset(
    {"sticker", "voice", "video", "video_note", "audio", "animation", "location", "contact"}
)


class OfficerInput(StatesGroup):
    text = State()


def _role(roles: frozenset[str]) -> Role:
    return Role.ADMIN if "admin" in roles else Role.OFFICER


def build_router() -> Router:
    router = Router(name="officers")
    router.message.filter(OfficerChat())
    router.callback_query.filter(OfficerChat())
    router.message.middleware(OfficersOnly())
    router.callback_query.middleware(OfficersOnly())

    @router.callback_query(CardCB.filter(F.action == Action.ACCEPT))
    async def accept(
        query: CallbackQuery,
        callback_data: CardCB,
        session: AsyncSession,
        user: User,
        roles: frozenset[str],
        services: Services,
        _: Translate,
    ) -> None:
        await _act(
            query,
            session,
            services,
            _,
            callback_data.case_id,
            Action.ACCEPT,
            Actor(user.id, _role(roles)),
        )

    @router.callback_query(CardCB.filter(F.action == Action.FORWARD))
    async def choose_department(
        query: CallbackQuery,
        callback_data: CardCB,
        session: AsyncSession,
        services: Services,
        _: Translate,
    ) -> None:
        case = await cases_crud.get_case(session=session, case_id=callback_data.case_id)
        if case is None:
            await query.answer(_("This case no longer exists."), show_alert=True)
            return
        await query.answer(_("Choose the department"))
        if isinstance(query.message, Message):
            markup = keyboards.departments(services.renderer, services.group_locale, case)
            await query.message.edit_reply_markup(
                reply_markup=InlineKeyboardMarkup.model_validate(markup)
            )

    @router.callback_query(CardCB.filter(F.action == "cancel"))
    async def cancel_choice(
        query: CallbackQuery, callback_data: CardCB, session: AsyncSession, services: Services
    ) -> None:
        case = await cases_crud.get_case(session=session, case_id=callback_data.case_id)
        await query.answer()
        if case is not None and isinstance(query.message, Message):
            markup = keyboards.card(services.renderer, services.group_locale, case)
            await query.message.edit_reply_markup(
                reply_markup=InlineKeyboardMarkup.model_validate(markup) if markup else None
            )

    @router.callback_query(DeptCB.filter())
    async def forward(
        query: CallbackQuery,
        callback_data: DeptCB,
        session: AsyncSession,
        user: User,
        roles: frozenset[str],
        services: Services,
        _: Translate,
    ) -> None:
        await _act(
            query,
            session,
            services,
            _,
            callback_data.case_id,
            Action.FORWARD,
            Actor(user.id, _role(roles)),
            department=callback_data.dept,
        )

    @router.callback_query(CardCB.filter(F.action.in_([a.value for a in ASKS_TEXT])))
    async def ask_text(
        query: CallbackQuery,
        callback_data: CardCB,
        state: FSMContext,
        session: AsyncSession,
        services: Services,
        _: Translate,
    ) -> None:
        case = await cases_crud.get_case(session=session, case_id=callback_data.case_id)
        if case is None:
            await query.answer(_("This case no longer exists."), show_alert=True)
            return
        await state.set_state(OfficerInput.text)
        await state.update_data(case_id=case.id, action=callback_data.action)
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.reply(
                services.renderer.render(
                    services.group_locale,
                    "group/prompt_text.html",
                    case=case,
                    action=callback_data.action,
                ),
                reply_markup=ForceReply(selective=True),
            )

    @router.message(OfficerInput.text, Command("cancel"))
    async def cancel_text(message: Message, state: FSMContext, _: Translate) -> None:
        await state.clear()
        await message.reply(_("Cancelled."))

    # Commands keep their meaning while a text is awaited (/queue must not become an answer).
    @router.message(OfficerInput.text, F.text, ~F.text.startswith("/"))
    async def got_text(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        roles: frozenset[str],
        services: Services,
        _: Translate,
    ) -> None:
        data = await state.get_data()
        action = Action(data["action"])
        text = message.text or ""
        try:
            await apply_action(
                session=session,
                services=services,
                case_id=int(data["case_id"]),
                action=action,
                actor=Actor(user.id, _role(roles)),
                text=None if action == Action.MERGE else text,
                target_number=text if action == Action.MERGE else None,
            )
        except TransitionError as exc:
            await message.reply(error_text(_, exc))
            if exc.reason not in (
                "merge_target_missing",
                "merge_into_self",
                "merge_target_closed",
                "text_required",
            ):
                await state.clear()
            return
        await state.clear()

    @router.message(Command("queue"))
    async def queue(message: Message, session: AsyncSession, services: Services) -> None:
        await message.answer(
            await queue_view(session=session, services=services, chat_id=message.chat.id)
        )

    @router.message(Command("help"))
    async def officer_help(message: Message, services: Services) -> None:
        await message.answer(
            services.renderer.render(
                services.group_locale,
                "group/officer_help.html",
                marker=services.org.internal_marker,
            )
        )

    @router.message(StateFilter(None), F.text | F.photo | F.document, ~F.text.startswith("/"))
    async def relay(
        message: Message, session: AsyncSession, user: User, services: Services
    ) -> None:
        case = await case_of_message(session, message)
        if case is None or case.id is None:
            return
        text = message.text or message.caption
        await conversation.officer_reply(
            session=session,
            services=services,
            case_id=case.id,
            officer_id=user.id,
            text=text,
            copy_from=(message.chat.id, message.message_id)
            if (message.photo or message.document)
            else None,
        )

    @router.message(StateFilter(None), F.content_type.in_(NOT_RELAYED))
    async def not_relayed(message: Message, session: AsyncSession, _: Translate) -> None:
        # Said in a case's thread, it looks sent; say that it was not.
        case = await case_of_message(session, message)
        if case is not None:
            await message.reply(_("Only text, photos and files reach the student; not sent."))

    return router


async def _act(
    query: CallbackQuery,
    session: AsyncSession,
    services: Services,
    _: Translate,
    case_id: int,
    action: Action,
    actor: Actor,
    department: str | None = None,
) -> None:
    try:
        await apply_action(
            session=session,
            services=services,
            case_id=case_id,
            action=action,
            actor=actor,
            department=department,
        )
    except TransitionError as exc:
        await query.answer(error_text(_, exc), show_alert=True)
        return
    await query.answer(_("Done"))
